//! `audit_events`: the append-only audit trail.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub at: TimeDateTimeWithTimeZone,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub subject_user_id: Option<Uuid>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub details: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
