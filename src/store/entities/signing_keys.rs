//! `signing_keys`: signing keys, their private parts sealed with the key-encryption key.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kid: String,
    pub alg: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub signs_from: TimeDateTimeWithTimeZone,
    pub retire_after: Option<TimeDateTimeWithTimeZone>,
    pub retired_at: Option<TimeDateTimeWithTimeZone>,
    #[sea_orm(column_type = "Blob")]
    pub sealed_key: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
