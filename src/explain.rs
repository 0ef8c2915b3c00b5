//! `explain`: a plain AST interpreter that records why each rule did or did not fire.
