//! The steps of a sign-in in progress, as the `login_transactions.step` column
//! holds them. Which step follows which is decided in `flows::journey::next`.

use crate::domain::unknown_name::closed_set;

closed_set! {
    /// A step a login transaction waits at (the password was right already).
    pub enum JourneyStep("journey step") {
        /// The e-mailed one-time code.
        Code = "code",
        /// Acceptance of the terms in force.
        Terms = "terms",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_round_trips_through_its_stored_name() {
        for step in JourneyStep::ALL {
            assert_eq!(step.as_str().parse::<JourneyStep>(), Ok(step));
        }
        assert_eq!(JourneyStep::ALL.map(JourneyStep::as_str), ["code", "terms"]);
        assert!("password".parse::<JourneyStep>().is_err());
    }
}
