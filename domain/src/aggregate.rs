//! The shape every aggregate has: a state folded from its stream with `evolve`, and
//! `decide`, which turns a command into new events or a [`DomainError`].
//!
//! The command pipeline in `commands` is written once against this trait.

use crate::{DomainError, DomainEvent};

/// An event-sourced aggregate: pure, synchronous, no IO.
pub trait Aggregate {
    /// What the aggregate remembers of its past events.
    type State: Default + Clone + std::fmt::Debug;
    /// What may be asked of it.
    type Command: std::fmt::Debug;
    /// Its streams are named `{STREAM_PREFIX}-{id}`.
    const STREAM_PREFIX: &'static str;

    /// Folds one event into the state; events of other aggregates leave it as is.
    fn evolve(state: Self::State, event: &DomainEvent) -> Self::State;

    /// Decides what happens when `command` meets `state`.
    fn decide(
        state: &Self::State,
        command: &Self::Command,
    ) -> Result<Vec<DomainEvent>, DomainError>;

    /// The name of the stream holding the aggregate with this id.
    fn stream_name(id: impl std::fmt::Display) -> String {
        format!("{}-{}", Self::STREAM_PREFIX, id)
    }

    /// The state after all of `events`.
    fn fold<'a>(events: impl IntoIterator<Item = &'a DomainEvent>) -> Self::State {
        events
            .into_iter()
            .fold(Self::State::default(), Self::evolve)
    }
}

/// Given/when/then for aggregate rules:
/// `given::<Meeting>([events]).when(command).then([events])`.
#[cfg(test)]
pub(crate) mod scenario {
    use super::*;

    pub(crate) struct Given<A: Aggregate> {
        state: A::State,
    }

    pub(crate) struct When<A: Aggregate> {
        result: Result<Vec<DomainEvent>, DomainError>,
        _aggregate: std::marker::PhantomData<A>,
    }

    pub(crate) fn given<A: Aggregate>(events: impl IntoIterator<Item = DomainEvent>) -> Given<A> {
        let events: Vec<_> = events.into_iter().collect();
        Given {
            state: A::fold(&events),
        }
    }

    impl<A: Aggregate> Given<A> {
        pub(crate) fn when(self, command: A::Command) -> When<A> {
            When {
                result: A::decide(&self.state, &command),
                _aggregate: std::marker::PhantomData,
            }
        }
    }

    impl<A: Aggregate> When<A> {
        #[track_caller]
        pub(crate) fn then(self, expected: impl IntoIterator<Item = DomainEvent>) {
            let expected: Vec<_> = expected.into_iter().collect();
            assert_eq!(self.result, Ok(expected));
        }

        #[track_caller]
        pub(crate) fn then_err(self, expected: DomainError) {
            assert_eq!(self.result, Err(expected));
        }

        #[track_caller]
        pub(crate) fn then_invalid(self, field: &'static str) {
            match self.result {
                Err(DomainError::Invalid { field: f, .. }) if f == field => {}
                other => panic!("expected {field} to be refused, got {other:?}"),
            }
        }
    }
}
