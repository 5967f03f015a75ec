//! The SQL behind the REST API, one file per table: API keys, refresh tokens, idempotent
//! replays, rate limits, and one-time codes with the outbox.

use crate::from_row;
use crate::store::db;
use crate::store::sql::{SqlBuilder, finish_page};
use crate::store::{Connection, StoreError, fetch_optional_by, iso};
use app::ids::{ApiKeyId, OrganizationId, SessionId};
use app::model::{ApiKey, ApiKeyOwner, List, OutboxMessage, Page};

mod api_keys;
mod codes;
mod idempotency;
mod outbox;
mod rate_limits;
mod refresh_tokens;
mod sign_in;

pub use api_keys::*;
pub use codes::*;
pub use idempotency::*;
pub use outbox::*;
pub use rate_limits::*;
pub use refresh_tokens::*;
pub use sign_in::*;
