//! Service-session outcomes and their groups, as Nimbus reports them.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    CustomerHangupBeforeAccept,
    CustomerHangupInWorkflow,
    CustomerHangupInWorkflowAfterQueue,
    CustomerHangupInQueue,
    UserAccepted,
    UserTransferSuccess,
    TransferredByWorkflow,
    Cancelled,
    Abandoned,
    DisconnectedByWorkflow,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutcomeGroup {
    HandledByUser,
    HandledBySystem,
    HangupByCustomer,
    NotHandled,
    Error,
}

impl Outcome {
    /// Every outcome, in the order reports list them.
    pub const ALL: [Outcome; 11] = [
        Outcome::UserAccepted,
        Outcome::UserTransferSuccess,
        Outcome::TransferredByWorkflow,
        Outcome::DisconnectedByWorkflow,
        Outcome::CustomerHangupBeforeAccept,
        Outcome::CustomerHangupInWorkflow,
        Outcome::CustomerHangupInWorkflowAfterQueue,
        Outcome::CustomerHangupInQueue,
        Outcome::Cancelled,
        Outcome::Abandoned,
        Outcome::Failed,
    ];

    /// This outcome's place in `ALL` (the reports' order; a session tally
    /// counts by it for every row).
    #[inline]
    pub fn report_index(self) -> usize {
        use Outcome::*;
        match self {
            UserAccepted => 0,
            UserTransferSuccess => 1,
            TransferredByWorkflow => 2,
            DisconnectedByWorkflow => 3,
            CustomerHangupBeforeAccept => 4,
            CustomerHangupInWorkflow => 5,
            CustomerHangupInWorkflowAfterQueue => 6,
            CustomerHangupInQueue => 7,
            Cancelled => 8,
            Abandoned => 9,
            Failed => 10,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Outcome::CustomerHangupBeforeAccept => "CustomerHangupBeforeAccept",
            Outcome::CustomerHangupInWorkflow => "CustomerHangupInWorkflow",
            Outcome::CustomerHangupInWorkflowAfterQueue => "CustomerHangupInWorkflowAfterQueue",
            Outcome::CustomerHangupInQueue => "CustomerHangupInQueue",
            Outcome::UserAccepted => "UserAccepted",
            Outcome::UserTransferSuccess => "UserTransferSuccess",
            Outcome::TransferredByWorkflow => "TransferredByWorkflow",
            Outcome::Cancelled => "Cancelled",
            Outcome::Abandoned => "Abandoned",
            Outcome::DisconnectedByWorkflow => "DisconnectedByWorkflow",
            Outcome::Failed => "Failed",
        }
    }

    pub fn group(self) -> OutcomeGroup {
        use Outcome::*;
        match self {
            UserAccepted | UserTransferSuccess => OutcomeGroup::HandledByUser,
            TransferredByWorkflow | DisconnectedByWorkflow => OutcomeGroup::HandledBySystem,
            CustomerHangupBeforeAccept
            | CustomerHangupInWorkflow
            | CustomerHangupInWorkflowAfterQueue
            | CustomerHangupInQueue => OutcomeGroup::HangupByCustomer,
            Cancelled | Abandoned => OutcomeGroup::NotHandled,
            Failed => OutcomeGroup::Error,
        }
    }
}

impl OutcomeGroup {
    pub fn name(self) -> &'static str {
        match self {
            OutcomeGroup::HandledByUser => "HandledByUser",
            OutcomeGroup::HandledBySystem => "HandledBySystem",
            OutcomeGroup::HangupByCustomer => "HangupByCustomer",
            OutcomeGroup::NotHandled => "NotHandled",
            OutcomeGroup::Error => "Error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_index_is_the_place_in_all() {
        for (i, o) in Outcome::ALL.iter().enumerate() {
            assert_eq!(o.report_index(), i, "{}", o.name());
        }
    }
}
