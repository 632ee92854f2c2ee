//! Datasets (SKELETON; filled in by the datasets work).
