//! `clients`: registered relying parties.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub secret_hash: Option<String>,
    pub previous_secret_hash: Option<String>,
    pub previous_secret_expires_at: Option<TimeDateTimeWithTimeZone>,
    pub public: bool,
    pub first_party: bool,
    pub require_pkce: bool,
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub grant_types: String,
    pub scopes: String,
    pub id_token_signed_response_alg: String,
    pub backchannel_logout_uri: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
