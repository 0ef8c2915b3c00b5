//! Lowering a checked program to a flat, serialisable plan.
