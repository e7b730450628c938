//! Account rows.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::users;

/// What an import knows about an account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Ekstranet id.
    pub legacy_id: Option<String>,
    /// Six-digit login number.
    pub login: String,
    /// E-mail address.
    pub email: String,
    /// First name.
    pub given_name: String,
    /// Last name.
    pub family_name: String,
    /// Organisation.
    pub organization_id: Option<Uuid>,
    /// `administrator` or `user`.
    pub role: String,
}

/// Inserts an account in state `imported`; a taken login or legacy id is a conflict.
pub async fn insert(conn: &impl ConnectionTrait, user: &NewUser, now: OffsetDateTime) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    imported_model(id, user, now).insert(conn).await?;
    Ok(id)
}

/// The row of a freshly imported account.
fn imported_model(id: Uuid, user: &NewUser, now: OffsetDateTime) -> users::ActiveModel {
    users::ActiveModel {
        id: Set(id),
        legacy_id: Set(user.legacy_id.clone()),
        login: Set(user.login.clone()),
        email: Set(user.email.clone()),
        given_name: Set(user.given_name.clone()),
        family_name: Set(user.family_name.clone()),
        organization_id: Set(user.organization_id),
        role: Set(user.role.clone()),
        idp_admin: Set(false),
        status: Set("imported".into()),
        password_hash: Set(None),
        password_set_at: Set(None),
        invited_at: Set(None),
        first_sign_in_at: Set(None),
        last_sign_in_at: Set(None),
        failed_attempts: Set(0),
        lockouts: Set(0),
        locked_until: Set(None),
        admin_locked: Set(false),
        disabled: Set(false),
        anonymized_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// Finds an account by its Ekstranet id.
pub async fn find_by_legacy_id(
    conn: &impl ConnectionTrait,
    legacy_id: &str,
) -> Result<Option<(Uuid, String)>, StoreError> {
    let row = users::Entity::find().filter(users::Column::LegacyId.eq(legacy_id)).one(conn).await?;
    Ok(row.map(|r| (r.id, r.login)))
}

/// Whether a login number is taken.
pub async fn login_exists(conn: &impl ConnectionTrait, login: &str) -> Result<bool, StoreError> {
    Ok(users::Entity::find().filter(users::Column::Login.eq(login)).one(conn).await?.is_some())
}

/// An account with its organisation.
pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<crate::domain::user::User>, StoreError> {
    let Some(row) = users::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    Ok(Some(to_domain(conn, row).await?))
}

/// An account by its login number.
pub async fn find_by_login(
    conn: &impl ConnectionTrait,
    login: &str,
) -> Result<Option<crate::domain::user::User>, StoreError> {
    let Some(row) = users::Entity::find().filter(users::Column::Login.eq(login)).one(conn).await? else {
        return Ok(None);
    };
    Ok(Some(to_domain(conn, row).await?))
}

/// Sets the journey status (`imported`, `invited`, `active`).
pub async fn set_status(
    conn: &impl ConnectionTrait,
    id: Uuid,
    status: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(users::Column::Status, Expr::value(status))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

async fn to_domain(conn: &impl ConnectionTrait, row: users::Model) -> Result<crate::domain::user::User, StoreError> {
    use super::entities::organizations;
    let organization = match row.organization_id {
        Some(org) => organizations::Entity::find_by_id(org)
            .one(conn)
            .await?
            .map(|o| crate::domain::user::Organization { id: o.id, name: o.name }),
        None => None,
    };
    Ok(crate::domain::user::User {
        id: row.id,
        login: row.login,
        email: row.email,
        given_name: row.given_name,
        family_name: row.family_name,
        role: row.role,
        idp_admin: row.idp_admin,
        organization,
        status: row.status,
        disabled: row.disabled,
        admin_locked: row.admin_locked,
    })
}

/// An account by e-mail address (case-insensitive), if exactly one has it.
pub async fn find_by_email(
    conn: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<crate::domain::user::User>, StoreError> {
    let wanted = email.trim().to_lowercase();
    let rows = users::Entity::find().filter(users::Column::Email.eq(wanted.as_str())).all(conn).await?;
    match rows.len() {
        1 => match rows.into_iter().next() {
            Some(row) => Ok(Some(to_domain(conn, row).await?)),
            None => Ok(None),
        },
        _ => Ok(None),
    }
}

/// Security state of an account for sign-in.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// argon2id hash, once set.
    pub password_hash: Option<String>,
    /// Consecutive failures.
    pub failed_attempts: i32,
    /// Times locked so far (grows the lock time).
    pub lockouts: i32,
    /// Locked until then.
    pub locked_until: Option<OffsetDateTime>,
    /// Locked by an administrator.
    pub admin_locked: bool,
}

impl Credentials {
    /// Whether a lock (an administrator's, or an automatic one) is in force at `now`.
    pub fn locked_at(&self, now: OffsetDateTime) -> bool {
        self.admin_locked || self.locked_until.is_some_and(|until| until > now)
    }
}

/// The sign-in state of an account.
pub async fn credentials(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<Credentials>, StoreError> {
    Ok(users::Entity::find_by_id(id).one(conn).await?.map(|r| Credentials {
        password_hash: r.password_hash,
        failed_attempts: r.failed_attempts,
        lockouts: r.lockouts,
        locked_until: r.locked_until,
        admin_locked: r.admin_locked,
    }))
}

/// Sets a new password: the account becomes active.
pub async fn set_password(
    conn: &impl ConnectionTrait,
    id: Uuid,
    hash: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(hash))
        .col_expr(users::Column::PasswordSetAt, Expr::value(now))
        .col_expr(users::Column::Status, Expr::value("active"))
        .col_expr(users::Column::FailedAttempts, Expr::value(0))
        .col_expr(users::Column::LockedUntil, Expr::value(Option::<OffsetDateTime>::None))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Marks the account invited (activation mail queued).
pub async fn mark_invited(conn: &impl ConnectionTrait, id: Uuid, now: OffsetDateTime) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(users::Column::InvitedAt, Expr::value(now))
        .col_expr(users::Column::Status, Expr::value("invited"))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id))
        .filter(users::Column::Status.eq("imported"))
        .exec(conn)
        .await?;
    Ok(())
}

/// Takes one attempt slot of the account *before* a password is verified: one
/// conditional statement, so however many requests race, only the slots left below
/// `threshold` are handed out, and never while the account is locked. Returns the
/// slot taken with the password hash to verify, or `None` when the account is
/// locked, out of attempts or gone.
pub async fn reserve_attempt(
    conn: &impl ConnectionTrait,
    id: Uuid,
    threshold: i32,
    now: OffsetDateTime,
) -> Result<Option<Reserved>, StoreError> {
    use sea_orm::ExprTrait;
    use sea_orm::sea_query::Expr;
    let rows = users::Entity::update_many()
        .col_expr(users::Column::FailedAttempts, Expr::col(users::Column::FailedAttempts).add(1))
        .filter(users::Column::Id.eq(id))
        .filter(users::Column::FailedAttempts.lt(threshold))
        .filter(unlocked(now))
        .exec_with_returning(conn)
        .await?;
    Ok(rows.into_iter().next().map(|r| Reserved { slot: r.failed_attempts, password_hash: r.password_hash }))
}

/// An attempt slot taken by [`reserve_attempt`].
#[derive(Debug, Clone)]
pub struct Reserved {
    /// 1-based count of attempts now held, this one included.
    pub slot: i32,
    /// The hash the attempt is to be verified against (none before activation).
    pub password_hash: Option<String>,
}

/// Gives a slot taken by [`reserve_attempt`] back (the password was right), unless
/// a lock has reset the count in between.
pub async fn give_back_attempt(conn: &impl ConnectionTrait, id: Uuid, now: OffsetDateTime) -> Result<(), StoreError> {
    use sea_orm::ExprTrait;
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(users::Column::FailedAttempts, Expr::col(users::Column::FailedAttempts).sub(1))
        .filter(users::Column::Id.eq(id))
        .filter(users::Column::FailedAttempts.gt(0))
        .filter(unlocked(now))
        .exec(conn)
        .await?;
    Ok(())
}

/// Counts a failure that had no slot of its own (a wrong e-mailed code) in one
/// statement; whether it locks is decided by [`lock_if_exhausted`].
pub async fn count_failure(conn: &impl ConnectionTrait, id: Uuid) -> Result<(), StoreError> {
    use sea_orm::ExprTrait;
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(users::Column::FailedAttempts, Expr::col(users::Column::FailedAttempts).add(1))
        .filter(users::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Locks the account when its failures reached `limits.threshold` and it is not
/// locked already. The condition and the change are one statement, so of any
/// number of racing requests exactly one locks (and mails the owner); the lock's
/// length grows with the locks before it, computed in the same statement.
/// Returns the new lock's length, or `None` when nothing was locked.
pub async fn lock_if_exhausted(
    conn: &impl ConnectionTrait,
    id: Uuid,
    limits: &crate::domain::lockout::Limits,
    now: OffsetDateTime,
) -> Result<Option<time::Duration>, StoreError> {
    use crate::domain::lockout;
    use sea_orm::ExprTrait;
    use sea_orm::sea_query::{CaseStatement, Expr};
    let mut until = CaseStatement::new();
    for lockouts in 0..lockout::DOUBLINGS {
        until = until.case(users::Column::Lockouts.eq(lockouts), Expr::value(now + limits.lock_length(lockouts)));
    }
    let until = until.finally(Expr::value(now + lockout::MAX_LOCK));
    let rows = users::Entity::update_many()
        .col_expr(users::Column::LockedUntil, until.into())
        .col_expr(users::Column::Lockouts, Expr::col(users::Column::Lockouts).add(1))
        .col_expr(users::Column::FailedAttempts, Expr::value(0))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id))
        .filter(users::Column::FailedAttempts.gte(limits.threshold))
        .filter(unlocked(now))
        .exec_with_returning(conn)
        .await?;
    Ok(rows.first().and_then(|r| r.locked_until).map(|until| until - now))
}

/// Not locked by an administrator, and no automatic lock in force at `now`.
fn unlocked(now: OffsetDateTime) -> sea_orm::Condition {
    sea_orm::Condition::all().add(users::Column::AdminLocked.eq(false)).add(
        sea_orm::Condition::any().add(users::Column::LockedUntil.is_null()).add(users::Column::LockedUntil.lte(now)),
    )
}

/// A completed sign-in: failures forgotten, first/last sign-in recorded.
pub async fn signed_in(conn: &impl ConnectionTrait, id: Uuid, now: OffsetDateTime) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    let Some(row) = users::Entity::find_by_id(id).one(conn).await? else { return Err(StoreError::NotFound) };
    let mut update = users::Entity::update_many()
        .col_expr(users::Column::FailedAttempts, Expr::value(0))
        .col_expr(users::Column::Lockouts, Expr::value(0))
        .col_expr(users::Column::LockedUntil, Expr::value(Option::<OffsetDateTime>::None))
        .col_expr(users::Column::LastSignInAt, Expr::value(now));
    if row.first_sign_in_at.is_none() {
        update = update.col_expr(users::Column::FirstSignInAt, Expr::value(now));
    }
    update.filter(users::Column::Id.eq(id)).exec(conn).await?;
    Ok(())
}

/// What an import knows about an existing account.
#[derive(Debug, Clone)]
pub struct ImportedAccount {
    /// Account id.
    pub id: Uuid,
    /// Ekstranet id.
    pub legacy_id: Option<String>,
    /// E-mail.
    pub email: String,
    /// First name.
    pub given_name: String,
    /// Last name.
    pub family_name: String,
    /// Role.
    pub role: String,
    /// Organisation.
    pub organization_id: Option<Uuid>,
    /// Journey state.
    pub status: String,
}

fn imported(row: users::Model) -> ImportedAccount {
    ImportedAccount {
        id: row.id,
        legacy_id: row.legacy_id,
        email: row.email,
        given_name: row.given_name,
        family_name: row.family_name,
        role: row.role,
        organization_id: row.organization_id,
        status: row.status,
    }
}

/// Accounts with these Ekstranet ids.
pub async fn by_legacy_ids(conn: &impl ConnectionTrait, ids: &[String]) -> Result<Vec<ImportedAccount>, StoreError> {
    let rows = users::Entity::find().filter(users::Column::LegacyId.is_in(ids.iter().cloned())).all(conn).await?;
    Ok(rows.into_iter().map(imported).collect())
}

/// Accounts with these e-mail addresses.
pub async fn by_emails(conn: &impl ConnectionTrait, emails: &[String]) -> Result<Vec<ImportedAccount>, StoreError> {
    let rows = users::Entity::find().filter(users::Column::Email.is_in(emails.iter().cloned())).all(conn).await?;
    Ok(rows.into_iter().map(imported).collect())
}

/// Every login number in use.
pub async fn all_logins(conn: &impl ConnectionTrait) -> Result<std::collections::HashSet<String>, StoreError> {
    use sea_orm::QuerySelect;
    let logins: Vec<String> =
        users::Entity::find().select_only().column(users::Column::Login).into_tuple().all(conn).await?;
    Ok(logins.into_iter().collect())
}

/// Inserts many imported accounts in one statement.
pub async fn insert_many(
    conn: &impl ConnectionTrait,
    accounts: &[NewUser],
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    if accounts.is_empty() {
        return Ok(());
    }
    let models = accounts.iter().map(|user| imported_model(Uuid::now_v7(), user, now));
    users::Entity::insert_many(models).exec(conn).await?;
    Ok(())
}

/// Updates an imported (not yet activated) account from a newer export.
pub async fn update_from_import(
    conn: &impl ConnectionTrait,
    id: Uuid,
    user: &NewUser,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    personal_data(id, &user.given_name, &user.family_name, &user.email, &user.role, user.organization_id, now)
        .exec(conn)
        .await?;
    Ok(())
}

/// The update of an account's name, e-mail, role and organisation.
fn personal_data(
    id: Uuid,
    given_name: &str,
    family_name: &str,
    email: &str,
    role: &str,
    organization_id: Option<Uuid>,
    now: OffsetDateTime,
) -> sea_orm::UpdateMany<users::Entity> {
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(users::Column::GivenName, Expr::value(given_name))
        .col_expr(users::Column::FamilyName, Expr::value(family_name))
        .col_expr(users::Column::Email, Expr::value(email))
        .col_expr(users::Column::Role, Expr::value(role))
        .col_expr(users::Column::OrganizationId, Expr::value(organization_id))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id))
}

/// Filters of the admin user search.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Journey state.
    pub status: Option<String>,
    /// Organisation.
    pub organization_id: Option<Uuid>,
    /// Role.
    pub role: Option<String>,
    /// Exact login number.
    pub login: Option<String>,
    /// Exact e-mail (case-insensitive).
    pub email: Option<String>,
    /// Substring of name or e-mail.
    pub text: Option<String>,
}

/// One page of accounts matching `filter`, and the total count.
pub async fn search(
    conn: &impl ConnectionTrait,
    filter: &UserFilter,
    page: u64,
    per_page: u64,
    now: OffsetDateTime,
) -> Result<(Vec<crate::domain::user::User>, u64), StoreError> {
    use sea_orm::{Condition, PaginatorTrait, QueryOrder};
    let mut condition = Condition::all().add(users::Column::AnonymizedAt.is_null());
    match filter.status.as_deref() {
        // Invited, with no link left that could still be used.
        Some("link_expired") => {
            condition = condition
                .add(users::Column::Status.eq("invited"))
                .add(users::Column::Id.not_in_subquery(live_links(now)));
        }
        Some(status) => condition = condition.add(users::Column::Status.eq(status)),
        None => {}
    }
    if let Some(org) = filter.organization_id {
        condition = condition.add(users::Column::OrganizationId.eq(org));
    }
    if let Some(role) = &filter.role {
        condition = condition.add(users::Column::Role.eq(role.as_str()));
    }
    if let Some(login) = &filter.login {
        condition = condition.add(users::Column::Login.eq(login.as_str()));
    }
    if let Some(email) = &filter.email {
        condition = condition.add(users::Column::Email.eq(email.trim().to_lowercase()));
    }
    if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        condition = condition.add(
            Condition::any()
                .add(super::contains_ignoring_case(users::Column::Email, text))
                .add(super::contains_ignoring_case(users::Column::GivenName, text))
                .add(super::contains_ignoring_case(users::Column::FamilyName, text)),
        );
    }
    let paginator = users::Entity::find().filter(condition).order_by_asc(users::Column::Id).paginate(conn, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(page).await?;
    let mut found = Vec::with_capacity(rows.len());
    for row in rows {
        found.push(to_domain(conn, row).await?);
    }
    Ok((found, total))
}

/// Ids of accounts never invited, optionally of one organisation or from a list.
pub async fn not_invited(
    conn: &impl ConnectionTrait,
    organization_id: Option<Uuid>,
    ids: Option<&[Uuid]>,
) -> Result<Vec<Uuid>, StoreError> {
    use sea_orm::QuerySelect;
    let mut query = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::Status.eq("imported"))
        .filter(users::Column::Disabled.eq(false))
        .filter(users::Column::AnonymizedAt.is_null());
    if let Some(org) = organization_id {
        query = query.filter(users::Column::OrganizationId.eq(org));
    }
    if let Some(ids) = ids {
        query = query.filter(users::Column::Id.is_in(ids.iter().copied()));
    }
    Ok(query.into_tuple().all(conn).await?)
}

/// The fields an administrator may change.
#[derive(Debug, Clone)]
pub struct Profile {
    /// First name.
    pub given_name: String,
    /// Last name.
    pub family_name: String,
    /// E-mail address (lower case).
    pub email: String,
    /// `administrator` or `user`.
    pub role: String,
    /// Organisation.
    pub organization_id: Option<Uuid>,
    /// May use the admin API.
    pub idp_admin: bool,
}

/// The full row of an account (administration shows every state field).
pub async fn row(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<users::Model>, StoreError> {
    Ok(users::Entity::find_by_id(id).one(conn).await?.filter(|r| r.anonymized_at.is_none()))
}

/// Writes a changed profile; a taken e-mail is a conflict.
pub async fn update_profile(
    conn: &impl ConnectionTrait,
    id: Uuid,
    profile: &Profile,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    let Profile { given_name, family_name, email, role, organization_id, idp_admin } = profile;
    personal_data(id, given_name, family_name, email, role, *organization_id, now)
        .col_expr(users::Column::IdpAdmin, Expr::value(*idp_admin))
        .exec(conn)
        .await?;
    Ok(())
}

/// An on/off switch an administrator sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch {
    /// Locked until unlocked (unlocking also clears an automatic lock).
    Locked,
    /// Disabled: cannot sign in, receives no links.
    Disabled,
}

/// Sets a switch; returns whether it changed.
pub async fn set_switch(
    conn: &impl ConnectionTrait,
    id: Uuid,
    switch: Switch,
    on: bool,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    use sea_orm::sea_query::Expr;
    let column = match switch {
        Switch::Locked => users::Column::AdminLocked,
        Switch::Disabled => users::Column::Disabled,
    };
    let mut update = users::Entity::update_many()
        .col_expr(column, Expr::value(on))
        .col_expr(users::Column::UpdatedAt, Expr::value(now));
    let changes = if switch == Switch::Locked && !on {
        // Unlocking lifts an automatic lock as well as an administrator's.
        update = update
            .col_expr(users::Column::LockedUntil, Expr::value(Option::<OffsetDateTime>::None))
            .col_expr(users::Column::FailedAttempts, Expr::value(0));
        sea_orm::Condition::any().add(column.eq(true)).add(users::Column::LockedUntil.gt(now))
    } else {
        sea_orm::Condition::all().add(column.eq(!on))
    };
    let result = update.filter(users::Column::Id.eq(id)).filter(changes).exec(conn).await?;
    Ok(result.rows_affected == 1)
}

/// Forgets the password: the account waits for a new activation (`invited`).
pub async fn clear_password(conn: &impl ConnectionTrait, id: Uuid, now: OffsetDateTime) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(Option::<String>::None))
        .col_expr(users::Column::PasswordSetAt, Expr::value(Option::<OffsetDateTime>::None))
        .col_expr(users::Column::Status, Expr::value("invited"))
        .col_expr(users::Column::InvitedAt, Expr::value(now))
        .col_expr(users::Column::FailedAttempts, Expr::value(0))
        .col_expr(users::Column::LockedUntil, Expr::value(Option::<OffsetDateTime>::None))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Erases the personal data of an account, keeping the row (and so the audit
/// trail's references): names and e-mail become placeholders, the Ekstranet id
/// and password go, and the account can never sign in again.
pub async fn anonymize(conn: &impl ConnectionTrait, id: Uuid, now: OffsetDateTime) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(users::Column::GivenName, Expr::value(""))
        .col_expr(users::Column::FamilyName, Expr::value(""))
        .col_expr(users::Column::Email, Expr::value(format!("deleted-{}@invalid", id.simple())))
        .col_expr(users::Column::LegacyId, Expr::value(Option::<String>::None))
        .col_expr(users::Column::PasswordHash, Expr::value(Option::<String>::None))
        .col_expr(users::Column::IdpAdmin, Expr::value(false))
        .col_expr(users::Column::Disabled, Expr::value(true))
        .col_expr(users::Column::AnonymizedAt, Expr::value(now))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Ids of invited accounts whose every link expired (or was voided) unused:
/// they can be re-invited. Optionally of one organisation or from a list.
pub async fn link_expired(
    conn: &impl ConnectionTrait,
    organization_id: Option<Uuid>,
    ids: Option<&[Uuid]>,
    now: OffsetDateTime,
) -> Result<Vec<Uuid>, StoreError> {
    use sea_orm::QuerySelect;
    let live_link = live_links(now);
    let mut query = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::Status.eq("invited"))
        .filter(users::Column::Disabled.eq(false))
        .filter(users::Column::AnonymizedAt.is_null())
        .filter(users::Column::Id.not_in_subquery(live_link));
    if let Some(org) = organization_id {
        query = query.filter(users::Column::OrganizationId.eq(org));
    }
    if let Some(ids) = ids {
        query = query.filter(users::Column::Id.is_in(ids.iter().copied()));
    }
    Ok(query.into_tuple().all(conn).await?)
}

/// Accounts that hold a link usable at `now` (a subquery of account ids).
fn live_links(now: OffsetDateTime) -> sea_orm::sea_query::SelectStatement {
    use super::entities::activation_tokens as tokens;
    sea_orm::sea_query::Query::select()
        .column(tokens::Column::UserId)
        .from(tokens::Entity)
        .and_where(tokens::Column::UsedAt.is_null())
        .and_where(tokens::Column::VoidedAt.is_null())
        .and_where(tokens::Column::ExpiresAt.gt(now))
        .to_owned()
}

/// Sets a confirmed new e-mail address; false when the account is gone. A unique
/// index keeps addresses apart: another account's address is a `Conflict`.
pub async fn set_email(
    conn: &impl ConnectionTrait,
    id: Uuid,
    email: &str,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    use sea_orm::sea_query::Expr;
    let result = users::Entity::update_many()
        .col_expr(users::Column::Email, Expr::value(email))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id))
        .filter(users::Column::AnonymizedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Locks an account's row until the transaction ends (PostgreSQL; SQLite's write
/// transactions are serialised anyway): changes that read and then write an
/// account's links or state run one after the other.
pub async fn lock_row(conn: &impl ConnectionTrait, id: Uuid) -> Result<(), StoreError> {
    use sea_orm::QuerySelect;
    users::Entity::find_by_id(id).lock_exclusive().one(conn).await?;
    Ok(())
}
