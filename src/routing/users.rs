//! A user as the router sees them: memberships with their selectable-set keys,
//! load, flags and presence.

use super::ServiceRoute;
use crate::model::{
    DistributionOrder, Presence, Service, ServiceId, Time, User, UserId, UNLIMITED,
};

/// Ordering key of a selectable user within a service: fewest chats first,
/// then (most_qualified) the highest qualification, then longest idle, then
/// the stable user index. Load and rank share one u64 so the hot set
/// compares three machine words.
pub type UserKey = (u64, Time, UserId);

/// Never matches any policy level.
pub const NEVER_MATCHES: u8 = u8::MAX;

#[derive(Debug, Clone)]
pub struct Membership {
    pub service: ServiceId,
    /// On duty in this service.
    pub active: bool,
    /// First policy level whose skill filter the user meets (0 with no policy).
    pub min_level: u8,
    /// 0 for longest_idle; for most_qualified, lower = more qualified.
    pub rank: u32,
    /// The key under which the user sits in the service's selectable set.
    pub key: Option<UserKey>,
}

#[derive(Debug, Clone)]
pub struct UserRoute {
    pub memberships: Vec<Membership>,
    pub capacity: u32,
    pub load: u32,
    pub ringing: bool,
    pub in_acw: bool,
    pub acw_until: Time,
    pub in_rona: bool,
    pub rona_until: Time,
    pub presence: Presence,
    /// Off Duty in every service (a break).
    pub off_duty: bool,
    pub in_call: bool,
    /// When the user last became free of Nimbus work (ringing and ACW included).
    pub idle_since: Time,
    /// Memberships whose selectable set holds the user (`key` is Some).
    pub filed: u32,
}

impl UserRoute {
    pub fn new(u: &User, services: &[Service]) -> UserRoute {
        let memberships = u
            .services
            .iter()
            .zip(&u.active)
            .map(|(&s, &active)| {
                let svc = &services[s as usize];
                let meets =
                    |req: &[(u32, u8)]| req.iter().all(|&(k, min)| u.skills[k as usize] >= min);
                let min_level = if svc.policy.is_empty() {
                    0
                } else {
                    svc.policy
                        .iter()
                        .position(|l| meets(&l.requires))
                        .map_or(NEVER_MATCHES, |p| p.min(254) as u8)
                };
                let rank = match svc.order {
                    DistributionOrder::LongestIdle => 0,
                    DistributionOrder::MostQualified => {
                        let mut skills: Vec<u32> = svc
                            .policy
                            .iter()
                            .flat_map(|l| l.requires.iter().map(|r| r.0))
                            .collect();
                        skills.sort_unstable();
                        skills.dedup();
                        let q: u32 = skills.iter().map(|&k| u.skills[k as usize] as u32).sum();
                        u32::MAX - q
                    }
                };
                Membership {
                    service: s,
                    active,
                    min_level,
                    rank,
                    key: None,
                }
            })
            .collect();
        UserRoute {
            memberships,
            capacity: u.capacity,
            load: 0,
            ringing: false,
            in_acw: false,
            acw_until: 0,
            in_rona: false,
            rona_until: 0,
            presence: Presence::Available,
            off_duty: false,
            in_call: false,
            idle_since: 0,
            filed: 0,
        }
    }

    #[inline]
    pub fn membership(&self, s: ServiceId) -> Option<usize> {
        self.memberships.iter().position(|m| m.service == s)
    }

    /// Selectable for membership `m` (DOMAIN.md): presence Available (Busy or
    /// Away only where the service allows), active in the service and not Off
    /// Duty, no ringing / RONA / ACW flag, below IM capacity, not in an
    /// audio/video call.
    #[inline]
    pub fn eligible(&self, m: usize, svc: &ServiceRoute) -> bool {
        self.free() && self.eligible_in(m, svc)
    }

    /// The service-independent half of `eligible`: flags and capacity.
    #[inline]
    pub fn free(&self) -> bool {
        !self.ringing
            && !self.in_acw
            && !self.in_rona
            && !self.in_call
            && !self.off_duty
            && (self.capacity == UNLIMITED || self.load < self.capacity)
    }

    /// The service-dependent half of `eligible`: presence, duty, skills.
    #[inline]
    pub fn eligible_in(&self, m: usize, svc: &ServiceRoute) -> bool {
        let ms = &self.memberships[m];
        let presence_ok = match self.presence {
            Presence::Available => true,
            Presence::Busy | Presence::Away => svc.allow_busy_away,
            Presence::DoNotDisturb | Presence::Offline => false,
        };
        presence_ok && ms.active && ms.min_level != NEVER_MATCHES
    }

    #[inline]
    pub fn key(&self, m: usize, id: UserId) -> UserKey {
        let class = (self.load as u64) << 32 | self.memberships[m].rank as u64;
        (class, self.idle_since, id)
    }
}
