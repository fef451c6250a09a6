//! Statement counts: nested pages load through DataLoaders, so the SQL statements a page needs do not grow with its size.
