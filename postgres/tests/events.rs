//! The shared event store and the feed, against a real server: receivers on several pools
//! ("replicas") store each event once whoever gets it, concurrent copies included; the feed
//! hands a waiter what any replica stored, what was stored before it listened, and what was
//! stored while it was cut off.

use std::time::{Duration, SystemTime};

use tencent_meeting::webhook::event::parse_event;
use tencent_meeting::webhook::store::{Appended, EventStore as _};
use tencent_meeting::webhook::{Event, MeetingEndFilter, MeetingEndWaiter};
use tencent_meeting_postgres::testing::TestDatabase;
use tencent_meeting_postgres::{Database, PgEventFeed, PgEventStore};

fn end(trace: &str, meeting: &str, time: i64) -> Vec<Event> {
    let text = format!(
        r#"{{"event":"meeting.end","trace_id":"{trace}","payload":[{{"operate_time":{time},"meeting_end_type":0,"meeting_info":{{"meeting_id":"{meeting}","meeting_type":0}}}}]}}"#
    );
    parse_event(text.as_bytes()).expect("an event")
}

async fn raw_client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connects");
    tokio::spawn(connection);
    client
}

async fn rows(url: &str) -> i64 {
    raw_client(url)
        .await
        .query_one("SELECT count(*) FROM tencent_meeting_events", &[])
        .await
        .expect("counts")
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_event_is_stored_once_whichever_replica_gets_it() {
    let Some(test_db) = TestDatabase::create("each_event_is_stored_once_whichever_replica_gets_it")
    else {
        return;
    };
    let mut replicas = Vec::new();
    for _ in 0..3 {
        let db = Database::connect(test_db.url()).await.expect("connects");
        replicas.push(PgEventStore::new(&db));
    }
    let first = end("t1", "100", 1_700_000_000_000);
    assert_eq!(
        replicas[0].append(first.clone()).await.expect("stored"),
        Appended::New(first.clone())
    );
    // Redelivered to another replica, under the same trace_id or a new one: known.
    assert_eq!(
        replicas[1].append(first.clone()).await.expect("stored"),
        Appended::Duplicate
    );
    assert_eq!(
        replicas[2]
            .append(end("t2", "100", 1_700_000_000_000))
            .await
            .expect("stored"),
        Appended::Duplicate
    );
    // The same meeting ending again later is a new fact.
    let again = end("t3", "100", 1_700_000_900_000);
    assert_eq!(
        replicas[2].append(again.clone()).await.expect("stored"),
        Appended::New(again.clone())
    );

    // One delivery sent to the three replicas at the same moment, many times over: one row,
    // and exactly one replica stored it.
    for n in 0..20 {
        let delivery = end(&format!("c{n}"), "200", 1_700_000_000_000 + n);
        let tasks: Vec<_> = replicas
            .iter()
            .map(|store| {
                let store = store.clone();
                let delivery = delivery.clone();
                tokio::spawn(async move { store.append(delivery).await.expect("stored") })
            })
            .collect();
        let mut new = 0;
        for task in tasks {
            if matches!(task.await.expect("the task"), Appended::New(_)) {
                new += 1;
            }
        }
        assert_eq!(new, 1, "delivery {n} stored by exactly one replica");
    }
    // Copies sent to one replica at once go into one group (one transaction): still once.
    for n in 0..10 {
        let delivery = end(&format!("g{n}"), "201", 1_700_000_000_000 + n);
        let copies: Vec<_> = (0..3)
            .map(|_| {
                let (store, delivery) = (replicas[0].clone(), delivery.clone());
                tokio::spawn(async move { store.append(delivery).await.expect("stored") })
            })
            .collect();
        let mut new = 0;
        for copy in copies {
            if matches!(copy.await.expect("the task"), Appended::New(_)) {
                new += 1;
            }
        }
        assert_eq!(new, 1, "copy {n} stored by exactly one append");
    }
    assert_eq!(rows(test_db.url()).await, 32);

    // Read back as they were received.
    let stored = replicas[0]
        .stored_since(SystemTime::UNIX_EPOCH)
        .await
        .expect("reads");
    assert_eq!(stored.len(), 32);
    assert_eq!(stored[0].event, first[0]);
    assert_eq!(stored[1].event, again[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_hands_a_waiter_what_any_replica_stored_even_while_it_was_cut_off() {
    let Some(test_db) = TestDatabase::create("the_feed_hands_a_waiter_what_any_replica_stored")
    else {
        return;
    };
    let separator = if test_db.url().contains('?') {
        '&'
    } else {
        '?'
    };
    let feed_url = format!("{}{separator}application_name=the_feed", test_db.url());
    let receiver_db = Database::builder(test_db.url())
        .max_connections(1)
        .connect()
        .await
        .expect("connects");
    let receiver = PgEventStore::new(&receiver_db);

    // Stored before the feed listened (a moment ago): still handed over.
    receiver
        .append(end("before", "300", 1))
        .await
        .expect("stored");
    let waiter = MeetingEndWaiter::new();
    let feed_db = Database::builder(&feed_url)
        .timeout(Duration::from_secs(2))
        .connect()
        .await
        .expect("connects");
    let _feed = PgEventFeed::start(&feed_db, waiter.clone())
        .await
        .expect("listens");
    waiter
        .wait_for(MeetingEndFilter::meeting("300"), Duration::from_secs(10))
        .await
        .expect("the end stored before the feed started");

    // Stored by another replica while the feed listens.
    let watch = waiter.watch(MeetingEndFilter::meeting("301"));
    receiver
        .append(end("live", "301", 2))
        .await
        .expect("stored");
    watch
        .wait(Duration::from_secs(10))
        .await
        .expect("announced and read");

    // Cut off: the feed's connection is ended and it cannot connect again until the end is
    // stored (the receiver's one connection stays), so only its catch-up can find it.
    let admin = raw_client(test_db.server_url()).await;
    let name = test_db.name();
    admin
        .batch_execute(&format!(
            "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = '{name}' AND application_name = 'the_feed';"
        ))
        .await
        .expect("cuts the feed off");
    let watch = waiter.watch(MeetingEndFilter::meeting("302"));
    receiver
        .append(end("while-away", "302", 3))
        .await
        .expect("stored while the feed is away");
    tokio::time::sleep(Duration::from_millis(300)).await;
    admin
        .batch_execute(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"))
        .await
        .expect("lets it back");
    watch
        .wait(Duration::from_secs(15))
        .await
        .expect("found by the catch-up after reconnecting");
}
