//! `routesim schema`: the scenario format as a JSON Schema, derived from the
//! same serde types that read scenario files (so it cannot drift from them).

use clap::Args;

#[derive(Args, Debug)]
#[command(
    after_help = "Example scenarios start with `#:schema ../docs/scenario.schema.json`, \
which Taplo and Even Better TOML use for completion and checks. \
Regenerate that file with: routesim schema > docs/scenario.schema.json"
)]
pub struct SchemaArgs {}

pub fn execute(_: SchemaArgs) -> i32 {
    crate::out!("{}", crate::scenario::schema_json().trim_end());
    super::EXIT_OK
}
