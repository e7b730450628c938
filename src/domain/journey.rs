//! The steps of a sign-in in progress, as the `login_transactions.step` column
//! holds them. Which step follows which is decided in `flows::journey::next`.

use std::fmt;
use std::str::FromStr;

use crate::domain::unknown_name::UnknownName;

/// A step a login transaction waits at (the password was right already).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JourneyStep {
    /// The e-mailed one-time code.
    Code,
    /// Acceptance of the terms in force.
    Terms,
}

impl JourneyStep {
    /// Every step, in journey order.
    pub const ALL: [JourneyStep; 2] = [JourneyStep::Code, JourneyStep::Terms];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            JourneyStep::Code => "code",
            JourneyStep::Terms => "terms",
        }
    }

    /// The step of a stored name, if it is one.
    pub fn parse(name: &str) -> Option<JourneyStep> {
        JourneyStep::ALL.into_iter().find(|step| step.as_str() == name)
    }
}

impl FromStr for JourneyStep {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        JourneyStep::parse(name).ok_or_else(|| UnknownName::new("journey step", name))
    }
}

impl fmt::Display for JourneyStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
