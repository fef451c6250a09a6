//! The synthetic benchmark dataset (`ctex seed --synthetic`), at a small size.
