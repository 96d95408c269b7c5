//! Typed statements: SQL whose placeholders are names (`:sites`), and the value that binds them.
//!
//! A [`Statement<P>`] can only be run with a `P`, and `P` binds each placeholder **by name**, in
//! the order the SQL has them: reordering a filter column or a subquery cannot bind the wrong
//! value, and a placeholder `P` has no value for is an error before anything is sent.
//! [`Statement::check`] (run for every statement by the catalog test) also refuses a `P` that
//! binds a name the SQL never uses, so the binds and the placeholders match exactly.
//! Values are bound by the `clickhouse` crate (escaped as it escapes every `?` bind); the
//! modern-ClickHouse catalog binds sample values through the same path ([`Statement::catalog`]).
use clickhouse::error::Error;
use clickhouse::query::Query;
use emc_sql::catalog::CatalogQuery;
use emc_sql::Db;
use std::borrow::Cow;
use std::marker::PhantomData;

/// A value that binds the placeholders of statements by name.
pub trait Binds {
    /// Every name this value binds.
    fn names(&self) -> Vec<&'static str>;
    /// Binds the value called `name` to the next placeholder; `None` when there is none.
    fn bind(&self, name: &str, q: Query) -> Option<Query>;
}

/// Declares a bind struct: each field binds the placeholder of its name.
macro_rules! binds {
    ($(#[$m:meta])* $vis:vis struct $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone)]
        $vis struct $name { $($(#[$fm])* pub $field: $ty),* }

        impl $crate::reports::statement::Binds for $name {
            fn names(&self) -> Vec<&'static str> {
                vec![$(stringify!($field)),*]
            }
            fn bind(&self, name: &str, q: clickhouse::query::Query) -> Option<clickhouse::query::Query> {
                match name {
                    $(stringify!($field) => Some(q.bind(&self.$field)),)*
                    _ => {
                        std::mem::drop(q);
                        None
                    }
                }
            }
        }
    };
}
pub(crate) use binds;

/// Two bind values side by side (the first wins a name both have).
#[derive(Debug, Clone)]
pub struct With<A, B>(pub A, pub B);

impl<A: Binds, B: Binds> Binds for With<A, B> {
    fn names(&self) -> Vec<&'static str> {
        let mut n = self.0.names();
        n.extend(self.1.names());
        n
    }
    fn bind(&self, name: &str, q: Query) -> Option<Query> {
        if self.0.names().contains(&name) {
            self.0.bind(name, q)
        } else {
            self.1.bind(name, q)
        }
    }
}

binds! {
    /// No values.
    pub struct NoBinds {}
}

/// One SQL statement and the type of the value that binds it.
pub struct Statement<P> {
    name: Cow<'static, str>,
    sql: Cow<'static, str>,
    binds: PhantomData<fn(&P)>,
}

impl<P> std::fmt::Debug for Statement<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Statement({})", self.name)
    }
}

/// The SQL with `?` in place of each `:name`, and the names in order. A name is
/// `[a-z_][a-z0-9_]*` after a `:` outside quoted strings (`::` is left alone).
pub fn compile(sql: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(sql.len());
    let mut names = vec![];
    let mut chars = sql.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '\\' if quoted => {
                out.push(c);
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            ':' if !quoted
                && chars
                    .peek()
                    .is_some_and(|n| n.is_ascii_lowercase() || *n == '_') =>
            {
                let mut name = String::new();
                while let Some(&n) = chars.peek() {
                    if n.is_ascii_lowercase() || n.is_ascii_digit() || n == '_' {
                        name.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push('?');
                names.push(name);
            }
            ':' if !quoted && chars.peek() == Some(&':') => {
                out.push_str("::");
                chars.next();
            }
            _ => out.push(c),
        }
    }
    (out, names)
}

impl<P: Binds> Statement<P> {
    /// A statement whose SQL is a literal.
    pub const fn fixed(name: &'static str, sql: &'static str) -> Statement<P> {
        Statement {
            name: Cow::Borrowed(name),
            sql: Cow::Borrowed(sql),
            binds: PhantomData,
        }
    }

    /// A statement whose SQL is put together from fragments (dimensions, tables).
    pub fn built(name: impl Into<Cow<'static, str>>, sql: String) -> Statement<P> {
        Statement {
            name: name.into(),
            sql: Cow::Owned(sql),
            binds: PhantomData,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The SQL as written, with its `:name` placeholders.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    fn bound(&self, client: &clickhouse::Client, p: &P) -> Result<Query, Error> {
        let (sql, names) = compile(&self.sql);
        let mut q = client.query(&sql);
        for n in names {
            q = p.bind(&n, q).ok_or_else(|| {
                Error::Custom(format!("statement {}: no value for :{n}", self.name))
            })?;
        }
        Ok(q)
    }

    /// The query, every placeholder bound from `p`, ready to fetch.
    pub fn query(&self, db: &Db, p: &P) -> Result<Query, Error> {
        self.bound(db.client(), p)
    }

    /// The placeholders and `p`'s names are the same set.
    pub fn check(&self, p: &P) -> Result<(), String> {
        let (_, used) = compile(&self.sql);
        let given = p.names();
        let missing: Vec<&String> = used
            .iter()
            .filter(|u| !given.contains(&u.as_str()))
            .collect();
        let unused: Vec<&&str> = given
            .iter()
            .filter(|g| !used.iter().any(|u| u == **g))
            .collect();
        if missing.is_empty() && unused.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{}: placeholders without a value {missing:?}, values without a placeholder {unused:?}",
                self.name
            ))
        }
    }

    /// The catalog entry: the SQL with `sample` bound exactly as [`Statement::query`] binds.
    pub fn catalog(&self, sample: &P) -> CatalogQuery {
        let sql = self
            .bound(&clickhouse::Client::default(), sample)
            .map(|q| q.sql_display().to_string())
            .unwrap_or_else(|e| format!("-- {e}"));
        CatalogQuery {
            name: self.name.clone(),
            sql: Cow::Owned(sql),
        }
    }
}

/// A statement with its sample binds, checked and erased for the catalog.
pub struct Sampled {
    pub query: CatalogQuery,
    pub check: Result<(), String>,
}

impl<P: Binds> Statement<P> {
    pub fn sampled(&self, sample: P) -> Sampled {
        Sampled {
            query: self.catalog(&sample),
            check: self.check(&sample),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    binds! {
        struct Two { sites: Vec<String>, n: u32 }
    }

    #[test]
    fn names_become_placeholders_in_order() {
        let (sql, names) =
            compile("SELECT ':no' FROM t WHERE n = :n AND s IN (:sites) AND x::String = 'a\\'b:c' AND m = :n");
        assert_eq!(
            sql,
            "SELECT ':no' FROM t WHERE n = ? AND s IN (?) AND x::String = 'a\\'b:c' AND m = ?"
        );
        assert_eq!(names, ["n", "sites", "n"]);
    }

    #[test]
    fn binds_by_name_whatever_the_order() {
        let s: Statement<Two> = Statement::fixed("t", "SELECT :n, :sites, :n");
        let p = Two {
            sites: vec!["a'1".into()],
            n: 7,
        };
        assert_eq!(s.catalog(&p).sql, "SELECT 7, ['a\\'1'], 7");
        assert_eq!(s.check(&p), Ok(()));
    }

    #[test]
    fn a_missing_or_unused_value_is_refused() {
        let p = Two {
            sites: vec![],
            n: 1,
        };
        let s: Statement<Two> = Statement::fixed("t", "SELECT :n, :limit");
        assert!(s.check(&p).unwrap_err().contains("limit"));
        assert!(s.catalog(&p).sql.contains("no value for :limit"));
        let unused: Statement<Two> = Statement::fixed("u", "SELECT :n");
        assert!(unused.check(&p).unwrap_err().contains("sites"));
    }
}
