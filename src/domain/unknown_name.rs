//! Closed sets of names (status, role, grant type, step): the [`closed_set!`]
//! macro that declares one, and the error of parsing a name none of its values has.

/// A string that names no known value of a closed set (status, role, step, grant).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} '{value}'")]
pub struct UnknownName {
    /// What was being parsed.
    pub kind: &'static str,
    /// The refused value (bounded: it may come from a request).
    pub value: String,
}

impl UnknownName {
    /// An unknown `value` of `kind`.
    pub fn new(kind: &'static str, value: &str) -> Self {
        Self { kind, value: value.chars().take(40).collect() }
    }
}

/// Declares an enum whose values each have one stored (and wire) name, with
/// `ALL` in declaration order, `as_str`, `parse` (exact case), `FromStr`
/// (refusing with [`UnknownName`]), `Display` and `Serialize` as the name. The
/// names are written once, beside their variants, so no second list can drift.
macro_rules! closed_set {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($kind:literal) {
            $( $(#[$variant_meta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$variant_meta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$($wire),+].len()] = [$($name::$variant),+];

            /// The stored (and wire) name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $wire ),+
                }
            }

            /// The value a name stands for, if any (exact case).
            pub fn parse(name: &str) -> Option<$name> {
                Self::ALL.into_iter().find(|value| value.as_str() == name)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::unknown_name::UnknownName;

            fn from_str(name: &str) -> Result<Self, Self::Err> {
                Self::parse(name).ok_or_else(|| $crate::domain::unknown_name::UnknownName::new($kind, name))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

pub(crate) use closed_set;
