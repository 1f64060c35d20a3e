//! `make run` opens the desk signed in as a demo officer: it passes the office address and the
//! office's `demo-seats.json`, and the desk signs in as the first officer seat listed there.

use liaison_desk::Desk;
use liaison_domain::Role;
use liaison_domain::wire::DemoSeat;

/// Signs in from `LIAISON_OFFICE_URL` and `LIAISON_DEMO_SEATS` when both are set and no seat is
/// signed in yet. Failures are logged; the sign-in screen is still there.
pub async fn sign_in_if_asked(desk: &Desk) {
    let (Ok(url), Ok(seats_file)) = (
        std::env::var("LIAISON_OFFICE_URL"),
        std::env::var("LIAISON_DEMO_SEATS"),
    ) else {
        return;
    };
    if matches!(desk.session(), Ok(s) if s.seat.is_some()) {
        return;
    }
    let seats: Vec<DemoSeat> = match std::fs::read(&seats_file).map(|b| serde_json::from_slice(&b))
    {
        Ok(Ok(seats)) => seats,
        Ok(Err(e)) => return tracing::warn!(error = %e, "demo seats file is malformed"),
        Err(e) => {
            return tracing::warn!(error = %e, file = %seats_file, "cannot read the demo seats file");
        }
    };
    let Some(officer) = seats.iter().find(|s| s.role == Role::Officer) else {
        return tracing::warn!("no officer seat in the demo seats file");
    };
    match desk.sign_in(&url, &officer.login, &officer.password).await {
        Ok(_) => tracing::info!(seat = %officer.login, "signed in as the demo officer"),
        Err(e) => tracing::warn!(error = %e, "demo sign-in failed"),
    }
}
