//! The SQL of the directory, one file per table group: users, organizations, memberships
//! (and the users-table query), invitations, roles, sessions, events and settings. Rules live
//! in `core`; this module only reads and writes rows.

use crate::from_row;
use crate::store::Backend;
use crate::store::db::{self, FromRow};
use crate::store::sql::{SqlBuilder, Value, finish_page};
use crate::store::{Connection, StoreError, fetch_optional_by, iso};
use app::directory::UserStanding;
use app::ids::*;
use app::model::*;
use std::collections::HashMap;

mod activity;
mod bulk_reports;
mod events;
mod factors;
mod invitations;
mod memberships;
mod organizations;
mod roles;
mod sessions;
mod users;

pub use activity::*;
pub use bulk_reports::*;
pub use events::*;
pub use factors::*;
pub use invitations::*;
pub use memberships::*;
pub use organizations::*;
pub use roles::*;
pub use sessions::*;
pub use users::*;
