//! The one clock. Everything that needs "now" takes it from here, so tests can move time.
use std::sync::Arc;
use time::OffsetDateTime;

#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> OffsetDateTime + Send + Sync>);

impl Clock {
    pub fn system() -> Self {
        Clock(Arc::new(OffsetDateTime::now_utc))
    }

    /// A clock that runs `offset` ahead of (or, negative, behind) the system clock.
    pub fn offset(offset: time::Duration) -> Self {
        Clock(Arc::new(move || OffsetDateTime::now_utc() + offset))
    }

    /// A clock that reads time from `now` (tests move it by hand).
    pub fn from_fn(now: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Self {
        Clock(Arc::new(now))
    }

    pub fn now(&self) -> OffsetDateTime {
        (self.0)()
    }

    /// Seconds since the Unix epoch: the representation every timestamp column uses.
    pub fn unix(&self) -> i64 {
        self.now().unix_timestamp()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}
