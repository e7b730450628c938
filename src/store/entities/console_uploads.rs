//! `console_uploads`: import files uploaded in the console, kept between the dry run and the apply.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "console_uploads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub console_session_id: Uuid,
    pub file_name: String,
    pub format: String,
    pub size_bytes: i64,
    pub content: Vec<u8>,
    pub dry_run_report: String,
    pub applied_report: Option<String>,
    pub applied_at: Option<TimeDateTimeWithTimeZone>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub expires_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
