//! Races: one code, one refresh token, many simultaneous presenters.

use crate::support::fixtures::VERIFIER;

backend_tests! {
    async fn fifty_parallel_redemptions_of_one_code_give_exactly_one_success(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[]).await;
        let attempts = (0..50).map(|_| {
            let request = app.http.post(app.url("/token"))
                .basic_auth(&client.id, client.secret.as_deref())
                .form(&[("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", client.redirect_uri.as_str()), ("code_verifier", VERIFIER)]);
            async move { request.send().await.expect("POST").status().as_u16() }
        });
        let statuses = futures_join_all(attempts).await;
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == 200 || *s == 400), "{statuses:?}");
    }

    async fn twenty_parallel_uses_of_one_refresh_token_give_exactly_one_success(app) {
        let user = app.active_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[]).await;
        let tokens = app.redeem(&client, &code).await;
        let refresh = tokens["refresh_token"].as_str().expect("rt").to_string();
        let attempts = (0..20).map(|_| {
            let request = app.http.post(app.url("/token"))
                .basic_auth(&client.id, client.secret.as_deref())
                .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())]);
            async move { request.send().await.expect("POST").status().as_u16() }
        });
        let statuses = futures_join_all(attempts).await;
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == 200 || *s == 400), "{statuses:?}");
    }
}

/// Runs the futures concurrently as separate tasks, so they really race.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<u16>
where
    F: std::future::Future<Output = u16> + Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.expect("task"));
    }
    out
}
