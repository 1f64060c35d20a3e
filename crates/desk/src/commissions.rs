//! Commissioned requests (约稿) at the desk: the requests naming the department, as last fetched
//! (so the window shows them offline), and a draft that answers one. The draft names the
//! request when it is sent; the office links it while the request is open.

use liaison_domain::wire::CommissionView;

use crate::client::OfficeClient;
use crate::engine::Desk;
use crate::error::DeskError;
use crate::view::DraftView;

impl Desk {
    /// Fetches the requests naming the department and keeps them for offline reading.
    pub(crate) async fn refresh_commissions(
        &self,
        client: &OfficeClient,
        token: &str,
    ) -> Result<(), DeskError> {
        let list = client.commissions(token).await?;
        self.db(|s| s.replace_commissions(&list))
    }

    /// The requests naming the department, newest first, as last fetched from the office.
    pub fn commissions(&self) -> Result<Vec<CommissionView>, DeskError> {
        self.store.commissions()
    }

    /// Starts a draft answering the request: titled with its topic, in its column when the
    /// request names one of the department's columns.
    pub fn answer_commission(&self, commission_id: i64) -> Result<DraftView, DeskError> {
        self.writable()?;
        let request = self
            .commissions()?
            .into_iter()
            .find(|c| c.id == commission_id)
            .ok_or(DeskError::NotFound("commission"))?;
        let columns = self.columns()?;
        let column = request
            .column_id
            .filter(|id| columns.iter().any(|c| c.id == *id));
        self.store.create_answer(
            &uuid::Uuid::new_v4().to_string(),
            column,
            request.id,
            &request.topic,
            self.now(),
        )
    }
}
