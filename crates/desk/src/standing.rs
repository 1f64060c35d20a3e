//! The department's standing in the office's ranking (评比): its place and where its points came
//! from in the month before, this month, this quarter and this year, as last fetched (so the
//! window shows it offline). A department sees its own standing only.

use liaison_domain::score::standing::PeriodStanding;

use crate::client::OfficeClient;
use crate::engine::Desk;
use crate::error::DeskError;

const STANDING_KEY: &str = "standing";
const FETCHED_KEY: &str = "standing_fetched_at";

/// How often the desk asks: a standing moves with accepted items and passing days, not by the
/// minute, and the office counts the whole city to answer.
pub const STANDING_REFRESH_MINUTES: i64 = 10;

impl Desk {
    /// Fetches the standing and keeps it. An office that cannot tell it (an older office, or
    /// one that fails here) leaves the last one kept: the standing never stops a sync round;
    /// only a session that ended does.
    pub(crate) async fn refresh_standing(
        &self,
        client: &OfficeClient,
        token: &str,
    ) -> Result<(), DeskError> {
        let now = self.now();
        let fresh = self
            .db(|s| s.meta(FETCHED_KEY))?
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .is_some_and(|t| {
                let age = now - t.with_timezone(&chrono::Utc);
                age >= chrono::Duration::zero()
                    && age < chrono::Duration::minutes(STANDING_REFRESH_MINUTES)
            });
        if fresh {
            return Ok(());
        }
        match client.standing(token).await {
            Ok(list) => {
                let json =
                    serde_json::to_string(&list).map_err(|e| DeskError::Internal(e.to_string()))?;
                self.db(|s| s.set_meta(STANDING_KEY, &json))?;
                self.db(|s| s.set_meta(FETCHED_KEY, &now.to_rfc3339()))
            }
            Err(e @ (DeskError::SessionExpired | DeskError::SeatHandedOver { .. })) => Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "the office did not tell the department's standing");
                Ok(())
            }
        }
    }

    /// The department's standing as last fetched; empty before the first.
    pub fn standing(&self) -> Result<Vec<PeriodStanding>, DeskError> {
        Ok(self
            .store
            .meta(STANDING_KEY)?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default())
    }
}
