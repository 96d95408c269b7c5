//! Sessions cannot be fixed by an attacker, sign-out ends them on the server, and stored
//! passwords are argon2id at the recommended parameters.
use crate::support::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use emc_dashboard::auth::SESSION_COOKIE;
use emc_dashboard::{AppState, WebConfig};

/// Signs in through the form while the browser already carries `planted` as its session
/// cookie; returns the session id the server set.
async fn login_carrying(router: &axum::Router, name: &str, planted: &str) -> String {
    let body = format!("csrf=t0k3n&username={name}&password={PASSWORD}");
    let req = Request::post("/login")
        .header(
            header::COOKIE,
            format!("emc_login_csrf=t0k3n; {SESSION_COOKIE}={planted}"),
        )
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let r = send(router, req).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let set = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    let id = set
        .strip_prefix(&format!("{SESSION_COOKIE}="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "256 random bits: {id}"
    );
    id
}

fn cookie(id: &str) -> String {
    format!("{SESSION_COOKIE}={id}")
}

/// 200 when `id` is a live session, 303 to /login (page) and 401 (API) when it is not.
async fn live(router: &axum::Router, id: &str) -> bool {
    let page = get_page(router, "/", &cookie(id)).await;
    let api = get_page(router, "/api/v1/sites", &cookie(id)).await;
    match (page.status.as_u16(), api.status.as_u16()) {
        (200, 200) => true,
        (303, 401) => false,
        other => panic!("session {id}: {other:?}"),
    }
}

#[tokio::test]
async fn a_planted_session_id_never_becomes_the_signed_in_session() {
    let db = emc_sql::testing::test_db("dash_fixation").await;
    registry_fixture(&db).await;
    user(&db, "admin", "admin", &[]).await;
    user(&db, "analyst-b", "analyst", &["bo-b"]).await;
    let state = AppState::new(db.clone(), WebConfig::default());
    let router = emc_dashboard::router(state.clone());

    // 1. An id the attacker made up: refused before, replaced at sign-in, refused after.
    let planted = "a".repeat(64);
    assert!(!live(&router, &planted).await);
    let id = login_carrying(&router, "admin", &planted).await;
    assert_ne!(id, planted);
    assert!(live(&router, &id).await);
    assert!(
        !live(&router, &planted).await,
        "the planted id is not the signed-in session"
    );
    assert!(!state.sessions.contains_key(&planted));

    // 2. The attacker's own live session id, planted in the victim's browser: the victim's
    //    sign-in gets a new id and the planted one dies, so neither rides the other's session.
    let attacker = login_carrying(&router, "analyst-b", "").await;
    assert!(live(&router, &attacker).await);
    let victim = login_carrying(&router, "admin", &attacker).await;
    assert_ne!(victim, attacker);
    assert!(
        !live(&router, &attacker).await,
        "the id carried into the sign-in is invalid afterwards"
    );
    assert!(live(&router, &victim).await);
    assert_eq!(state.sessions.get(&victim).unwrap().username, "admin");

    // 3. Every sign-in issues a new id, even for the same user.
    let again = login_carrying(&router, "admin", "").await;
    assert_ne!(again, victim);
}

#[tokio::test]
async fn sign_out_ends_the_session_on_the_server() {
    let db = emc_sql::testing::test_db("dash_logout").await;
    registry_fixture(&db).await;
    user(&db, "admin", "admin", &[]).await;
    let state = AppState::new(db.clone(), WebConfig::default());
    let router = emc_dashboard::router(state.clone());
    let id = login_carrying(&router, "admin", "").await;
    let csrf = state.sessions.get(&id).unwrap().csrf.clone();
    let logout = |body: String| {
        Request::post("/logout")
            .header(header::COOKIE, cookie(&id))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    // A cross-site sign-out without the form token is refused and changes nothing.
    assert_eq!(send(&router, logout("csrf=nope".into())).await.status, 403);
    assert!(live(&router, &id).await);

    let r = send(&router, logout(format!("csrf={csrf}"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers.get(header::LOCATION).unwrap(), "/login");
    let set = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(
        set.starts_with(&format!("{SESSION_COOKIE}=;")) && set.contains("Max-Age=0"),
        "{set}"
    );
    // A browser that kept the cookie (or a thief who copied it) gets nothing with it.
    assert!(!state.sessions.contains_key(&id));
    assert!(!live(&router, &id).await);
    let write = Request::post("/api/v1/agencies")
        .header(header::COOKIE, cookie(&id))
        .header("x-csrf-token", &csrf)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            r#"{"id":"so-z","name":"Z","group":"province","parent":null}"#,
        ))
        .unwrap();
    assert_eq!(send(&router, write).await.status, 401);
}

/// `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` read back from the `users` table.
#[tokio::test]
async fn stored_passwords_are_argon2id_at_the_recommended_parameters() {
    let db = emc_sql::testing::test_db("dash_argon2").await;
    registry_fixture(&db).await;
    // The first admin (generated password) and a user made through the API's path.
    let generated = emc_dashboard::auth::ensure_admin(&db, None).await.unwrap();
    assert!(generated.is_some());
    user(&db, "analyst-a", "analyst", &["bo-a"]).await;
    let hashes: Vec<(String, String)> = db
        .client()
        .query("SELECT username, password_hash FROM users FINAL")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(hashes.len(), 2);
    for (name, h) in hashes {
        assert!(
            !h.contains(PASSWORD),
            "{name}: the password itself is not stored"
        );
        let parts: Vec<&str> = h.split('$').collect();
        assert_eq!(parts.len(), 6, "{name}: PHC string {h}");
        assert_eq!(parts[1], "argon2id", "{name}: algorithm");
        assert_eq!(parts[2], "v=19", "{name}: version 0x13");
        let params: std::collections::BTreeMap<&str, u32> = parts[3]
            .split(',')
            .map(|kv| kv.split_once('=').unwrap())
            .map(|(k, v)| (k, v.parse().unwrap()))
            .collect();
        assert_eq!(params.get("m"), Some(&19_456), "{name}: memory KiB in {h}");
        assert_eq!(params.get("t"), Some(&2), "{name}: iterations in {h}");
        assert_eq!(params.get("p"), Some(&1), "{name}: parallelism in {h}");
        assert_eq!(parts[4].len(), 22, "{name}: 16-byte salt (unpadded base64)");
        assert_eq!(parts[5].len(), 43, "{name}: 32-byte hash (unpadded base64)");
    }
    // Two users with the same password get different salts, so different hashes.
    user(&db, "analyst-c", "analyst", &["bo-a"]).await;
    let two: Vec<String> = db
        .client()
        .query("SELECT password_hash FROM users FINAL WHERE username IN ('analyst-a', 'analyst-c')")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(two.len(), 2);
    assert_ne!(two[0], two[1]);
}
