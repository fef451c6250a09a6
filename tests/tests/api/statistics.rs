//! Statistics and the periodic report: suppression, complementary suppression and the differencing attack.
