//! The security suite: limits, production mode, the allow-list, rate limits and the graphql-cop checks.
