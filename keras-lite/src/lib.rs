//! keras-lite (SKELETON; filled in by the keras-lite work).
