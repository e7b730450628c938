//! `login_transactions`: sign-ins in progress: password checked, code e-mailed.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_transactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub handle_hash: String,
    pub user_id: Uuid,
    pub authorization_request_id: Option<Uuid>,
    pub step: String,
    pub code_hash: Option<String>,
    pub code_expires_at: Option<TimeDateTimeWithTimeZone>,
    pub code_attempts: i32,
    pub codes_sent: i32,
    pub code_sent_at: Option<TimeDateTimeWithTimeZone>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub expires_at: TimeDateTimeWithTimeZone,
    pub ended_at: Option<TimeDateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
