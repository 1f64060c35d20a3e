//! Statements prepared once per connection and kept (deadpool's statement cache): the store asks
//! the same few dozen statements over and over, and a statement sent as text is parsed and
//! planned by PostgreSQL every time, in a round trip of its own before it runs. Every statement
//! of the store goes through these. The pool's connections still plan each run for its values
//! (`plan_cache_mode=force_custom_plan`, set in `pool_of`): only the parsing and the round trip
//! are saved.

use std::future::Future;

use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Error, Row};

/// [`GenericClient`]'s queries, with the statement prepared once per connection.
pub trait Prepared: GenericClient {
    fn query_prepared(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> impl Future<Output = Result<Vec<Row>, Error>> + Send {
        async move {
            let statement = self.prepare_cached(sql).await?;
            self.query(&statement, params).await
        }
    }

    fn query_one_prepared(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> impl Future<Output = Result<Row, Error>> + Send {
        async move {
            let statement = self.prepare_cached(sql).await?;
            self.query_one(&statement, params).await
        }
    }

    fn query_opt_prepared(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> impl Future<Output = Result<Option<Row>, Error>> + Send {
        async move {
            let statement = self.prepare_cached(sql).await?;
            self.query_opt(&statement, params).await
        }
    }

    fn execute_prepared(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> impl Future<Output = Result<u64, Error>> + Send {
        async move {
            let statement = self.prepare_cached(sql).await?;
            self.execute(&statement, params).await
        }
    }
}

impl<T: GenericClient + ?Sized> Prepared for T {}
