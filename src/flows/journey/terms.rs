//! Step 4b of the seed: the "regulamin" with the "oświadczenie" checkbox and
//! "ZAPISZ". Shown on the first sign-in and whenever a newer version is in force.
//! Declining ends the sign-in: no session, no tokens.

use super::Origin;
use super::next::{self, Moved, Owed};
use crate::domain::audit::AuditEvent;
use crate::domain::journey::JourneyStep;
use crate::flows::Internal;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::store::{self, login_transactions::LoginRow, terms::TermsRow};

/// The terms a browser must accept now.
pub async fn pending(state: &AppState, handle: Option<&str>) -> Result<Option<TermsRow>, Internal> {
    if super::one_time_code::current(state, handle, JourneyStep::Terms).await?.is_none() {
        return Ok(None);
    }
    Ok(store::terms::current(state.store.conn(), state.clock.now()).await?)
}

/// The text of `terms` a reader of `lang` is shown, and the language it is
/// written in: the English text to English readers when the version has one,
/// otherwise the Polish text, the binding one (the page then says so).
pub fn text_for(terms: &TermsRow, lang: Lang) -> (&str, Lang) {
    match (lang, terms.body_en.as_deref()) {
        (Lang::En, Some(english)) => (english, Lang::En),
        _ => (&terms.body, Lang::Pl),
    }
}

/// The user's answer.
#[derive(Debug)]
pub enum TermsAnswer {
    /// No sign-in waiting for terms.
    NoTransaction,
    /// "Accept" without ticking the statement.
    NotTicked,
    /// Accepted: signed in.
    Complete(super::finish::Finished),
    /// Accepted: the sign-in moved on to this step.
    Step(JourneyStep),
    /// Declined: signed out; the relying party (if any) is told `access_denied`.
    Declined(Option<uuid::Uuid>),
}

/// Records acceptance (with version, time, address and user agent) or declines.
pub async fn answer(
    state: &AppState,
    handle: Option<&str>,
    accept: bool,
    ticked: bool,
    origin: &Origin,
) -> Result<TermsAnswer, Internal> {
    let Some(row) = super::one_time_code::current(state, handle, JourneyStep::Terms).await? else {
        return Ok(TermsAnswer::NoTransaction);
    };
    let now = state.clock.now();
    if !accept {
        let tx = state.store.begin().await?;
        store::login_transactions::end(tx.conn(), row.id, now).await?;
        let mut event = AuditEvent::new(format!("user:{}", row.user_id), "terms.declined", None);
        event.subject_user_id = Some(row.user_id);
        event.ip = origin.ip.clone();
        store::audit::record(tx.conn(), &event, now).await?;
        tx.commit().await?;
        state.metrics.sign_in(crate::metrics::SignIn::TermsDeclined);
        return Ok(TermsAnswer::Declined(row.authorization_request_id));
    }
    if !ticked {
        return Ok(TermsAnswer::NotTicked);
    }
    let Some(terms) = store::terms::current(state.store.conn(), now).await? else {
        return accepted(state, &row, origin).await;
    };
    let tx = state.store.begin().await?;
    if !store::terms::accepted(tx.conn(), row.user_id, terms.id).await? {
        store::terms::accept(tx.conn(), row.user_id, terms.id, origin.ip.clone(), origin.user_agent.clone(), now)
            .await?;
        let mut event = AuditEvent::new(format!("user:{}", row.user_id), "terms.accepted", Some(terms.version.clone()));
        event.subject_user_id = Some(row.user_id);
        event.ip = origin.ip.clone();
        store::audit::record(tx.conn(), &event, now).await?;
    }
    tx.commit().await?;
    accepted(state, &row, origin).await
}

/// Moves an accepted sign-in on, where the dispatcher says.
async fn accepted(state: &AppState, row: &LoginRow, origin: &Origin) -> Result<TermsAnswer, Internal> {
    Ok(match next::move_on(state, row, JourneyStep::Terms, Owed::default(), origin).await? {
        Moved::Step(step) => TermsAnswer::Step(step),
        Moved::Finished(done) => TermsAnswer::Complete(done),
        Moved::Gone => TermsAnswer::NoTransaction,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(body_en: Option<&str>) -> TermsRow {
        let at = time::OffsetDateTime::UNIX_EPOCH;
        TermsRow {
            id: uuid::Uuid::nil(),
            version: "v1".into(),
            title: "Regulamin".into(),
            body: "Treść.".into(),
            body_en: body_en.map(str::to_string),
            effective_at: at,
            published_at: at,
        }
    }

    #[test]
    fn an_english_reader_gets_the_english_text_when_there_is_one() {
        assert_eq!(text_for(&terms(Some("Text.")), Lang::En), ("Text.", Lang::En));
    }

    #[test]
    fn an_english_reader_gets_the_polish_text_when_there_is_no_english_one() {
        assert_eq!(text_for(&terms(None), Lang::En), ("Treść.", Lang::Pl));
    }

    #[test]
    fn a_polish_reader_always_gets_the_polish_text() {
        assert_eq!(text_for(&terms(Some("Text.")), Lang::Pl), ("Treść.", Lang::Pl));
    }
}
