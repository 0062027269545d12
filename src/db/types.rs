//! How the domain's types are stored: enums as their snake_case names in TEXT
//! columns, typed ids as BIGINT. The rows in [`super::models`] carry these
//! types, so a stored state or role is parsed once, here, when it is read,
//! and nothing above `db` ever compares a stored value as text.
//!
//! The diesel derives for types defined in `domain` go through
//! `foreign_derive` proxies, so `domain` itself stays free of diesel. Each
//! type needs `ToSql`/`FromSql` for both backends and for the
//! `MultiConnection`'s combined backend; delegating to `str` and `i64`, which
//! have all three, covers them with one generic impl each.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{BigInt, Text};

use crate::domain::calendar::LimitUnit;
use crate::domain::callback::CallbackState;
use crate::domain::event::EventKind;
use crate::domain::ids::{CaseId, DepartmentId, UserId};
use crate::domain::lifecycle::CaseState;
use crate::domain::notice::{MessageState, Notice};
use crate::domain::rating::{Rating, RatingSource};
use crate::domain::rectification::RectificationState;
use crate::domain::role::Role;

/// Stores each enum as its `as_str()` name and reads it back with `parse`;
/// a name the code does not know is a deserialisation error naming it.
macro_rules! stored_as_text {
    ($($ty:ident),* $(,)?) => {$(
        const _: () = {
            #[derive(AsExpression, FromSqlRow)]
            #[diesel(foreign_derive)]
            #[diesel(sql_type = Text)]
            #[allow(dead_code)]
            struct Proxy($ty);
        };

        impl<DB> ToSql<Text, DB> for $ty
        where
            DB: Backend,
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB> FromSql<Text, DB> for $ty
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let name = String::from_sql(bytes)?;
                $ty::parse(&name)
                    .ok_or_else(|| format!("unknown {} '{name}' in the database", stringify!($ty)).into())
            }
        }
    )*};
}

stored_as_text!(
    CaseState,
    EventKind,
    Role,
    Rating,
    RatingSource,
    LimitUnit,
    MessageState,
    Notice,
    CallbackState,
    RectificationState
);

/// Stores each id newtype as its BIGINT.
macro_rules! stored_as_bigint {
    ($($ty:ident),* $(,)?) => {$(
        const _: () = {
            #[derive(AsExpression, FromSqlRow)]
            #[diesel(foreign_derive)]
            #[diesel(sql_type = BigInt)]
            #[allow(dead_code)]
            struct Proxy($ty);
        };

        impl<DB> ToSql<BigInt, DB> for $ty
        where
            DB: Backend,
            i64: ToSql<BigInt, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.0.to_sql(out)
            }
        }

        impl<DB> FromSql<BigInt, DB> for $ty
        where
            DB: Backend,
            i64: FromSql<BigInt, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                i64::from_sql(bytes).map($ty)
            }
        }
    )*};
}

stored_as_bigint!(CaseId, UserId, DepartmentId);
