//! Population statistics over household-day profiles.
