//! `users`: accounts migrated from Ekstranet.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub legacy_id: Option<String>,
    pub login: String,
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    pub organization_id: Option<Uuid>,
    pub role: String,
    pub idp_admin: bool,
    pub idp_helpdesk: bool,
    pub status: String,
    pub password_hash: Option<String>,
    pub password_set_at: Option<TimeDateTimeWithTimeZone>,
    pub invited_at: Option<TimeDateTimeWithTimeZone>,
    pub first_sign_in_at: Option<TimeDateTimeWithTimeZone>,
    pub last_sign_in_at: Option<TimeDateTimeWithTimeZone>,
    pub failed_attempts: i32,
    pub lockouts: i32,
    pub locked_until: Option<TimeDateTimeWithTimeZone>,
    pub admin_locked: bool,
    pub disabled: bool,
    pub anonymized_at: Option<TimeDateTimeWithTimeZone>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
