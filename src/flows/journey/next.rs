//! The journey's one dispatcher: every "what comes next" of a sign-in is decided
//! here, and the steps only report what they finished (see the diagram in
//! [`super`]). The pages of the steps are chosen by `http::journey`.
//!
//! ```text
//! password right ──▶ Code ──code right──▶ terms owed? ──yes──▶ Terms ──accepted──▶ Finish
//!                                              └──no──────────────────────────────▶ Finish
//! ```

use super::Origin;
use super::finish::{self, Finished};
use crate::domain::journey::JourneyStep;
use crate::flows::Internal;
use crate::state::AppState;
use crate::store::{self, login_transactions::LoginRow};

/// Where a sign-in goes after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// To this step (persisted on the login transaction).
    Step(JourneyStep),
    /// The sign-in is complete: a session, then back to the relying party.
    Finish,
}

/// What the account still owes before it may be signed in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Owed {
    /// The terms in force are newer than the account's acceptance.
    pub terms: bool,
}

/// The step after a right password: always the e-mailed code, since a password
/// alone is one factor and kuke-id signs in with two.
pub const fn after_password() -> JourneyStep {
    JourneyStep::Code
}

/// The step after `done`, given what the account still owes.
pub fn after(done: JourneyStep, owed: Owed) -> Next {
    match done {
        JourneyStep::Code if owed.terms => Next::Step(JourneyStep::Terms),
        JourneyStep::Code | JourneyStep::Terms => Next::Finish,
    }
}

/// The outcome of moving a sign-in on.
#[derive(Debug)]
pub enum Moved {
    /// It now waits at this step.
    Step(JourneyStep),
    /// It is complete.
    Finished(Finished),
    /// It had moved on or ended meanwhile (a replayed or racing request).
    Gone,
}

/// Moves the sign-in of `row`, which just finished `done`, to where [`after`]
/// says: the next step (persisted, once), or the finish.
pub async fn move_on(
    state: &AppState,
    row: &LoginRow,
    done: JourneyStep,
    owed: Owed,
    origin: &Origin,
) -> Result<Moved, Internal> {
    match after(done, owed) {
        Next::Step(step) => {
            // One conditional statement: it moves the sign-in only from `done`.
            let moved = store::login_transactions::advance(state.store.conn(), row.id, done, step).await?;
            Ok(if moved { Moved::Step(step) } else { Moved::Gone })
        }
        Next::Finish => Ok(finish::complete(state, row, origin).await?.map_or(Moved::Gone, Moved::Finished)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_leads_to_the_code() {
        assert_eq!(after_password(), JourneyStep::Code);
    }

    #[test]
    fn a_code_leads_to_the_terms_only_when_they_are_owed() {
        assert_eq!(after(JourneyStep::Code, Owed { terms: true }), Next::Step(JourneyStep::Terms));
        assert_eq!(after(JourneyStep::Code, Owed { terms: false }), Next::Finish);
    }

    #[test]
    fn accepted_terms_finish() {
        assert_eq!(after(JourneyStep::Terms, Owed { terms: true }), Next::Finish);
        assert_eq!(after(JourneyStep::Terms, Owed::default()), Next::Finish);
    }
}
