//! Signing in: a login and password open a session, unless too many recent failures for the
//! seat or the address stop the attempt first. A wrong login takes the same effort to refuse as
//! a wrong password, a disabled seat is refused only to whoever typed its right password, and
//! every attempt is an audit entry.

use chrono::{DateTime, Duration, Utc};
use liaison_domain::SeatView;

use crate::audit::Record;
use crate::auth;
use crate::store::{Store, StoreError};
use crate::throttle::SignInThrottle;

/// One attempt to sign in.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub login: &'a str,
    pub password: &'a str,
    /// Where it came from (the throttle counts per address too).
    pub address: &'a str,
}

/// What an attempt to sign in came to.
#[derive(Debug, Clone)]
pub enum SignIn {
    Opened {
        /// The session's token, given only here (the store keeps its hash).
        token: String,
        expires_at: DateTime<Utc>,
        seat: SeatView,
    },
    /// No such login, or not its password: the two are not told apart.
    WrongCredentials,
    /// Too many recent failures; the next attempt may come after `wait`.
    Throttled { wait: Duration },
    /// The right password for a seat the administrator disabled.
    SeatDisabled,
}

/// Checks the attempt and opens a session of `ttl` if it is right (see the module).
pub fn sign_in(
    store: &dyn Store,
    throttle: &SignInThrottle,
    attempt: Attempt<'_>,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<SignIn, StoreError> {
    let Attempt {
        login,
        password,
        address,
    } = attempt;
    let audit = |action: &str| {
        store.append_audit(&Record::new(
            now,
            login,
            action,
            format!("seat:{login}"),
            "",
            address,
        ))
    };
    if let Some(wait) = throttle.blocked(login, address, now) {
        audit("session.throttled")?;
        return Ok(SignIn::Throttled { wait });
    }
    let Some(creds) = store.seat_credentials(login)? else {
        // Spend the time a real check would, so a wrong login looks like a wrong password.
        auth::verify_password(password, dummy_hash());
        throttle.failed(login, address, now);
        audit("session.sign_in_failed")?;
        return Ok(SignIn::WrongCredentials);
    };
    if !auth::verify_password(password, &creds.password_hash) {
        throttle.failed(login, address, now);
        audit("session.sign_in_failed")?;
        return Ok(SignIn::WrongCredentials);
    }
    throttle.succeeded(login);
    if creds.disabled {
        // Said plainly, since only its holder could have typed the password.
        audit("session.refused_disabled")?;
        return Ok(SignIn::SeatDisabled);
    }
    let token = auth::new_token();
    let expires_at = now + ttl;
    store.create_session(creds.seat.id, &auth::token_hash(&token), now, expires_at)?;
    audit("session.signed_in")?;
    Ok(SignIn::Opened {
        token,
        expires_at,
        seat: creds.seat,
    })
}

/// An argon2id hash of a random password nobody knows, for constant-effort failures.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| auth::hash_password(&auth::new_token()).unwrap_or_default())
}
