//! The dashboard in a real headless Chromium, driven over WebDriver
//! (chromedriver; `.ci/run` installs Debian's chromium and
//! chromium-driver): pages render, the iteration slider and the drag of
//! Bob's window change what is shown, and the numbers shown are the
//! store's. With `SFUMATO_SCREENSHOTS=DIR`, each view is saved there as a
//! PNG (docs/dashboard/ holds the committed ones).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use sfumato_results::{IterationRecord, Kind, NewRun, SeriesRecord, SlotRecord, Store};
use sfumato_web::data::{closest, window_matches};

/// A free port on localhost.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A cluster run of 5 iterations with published centroids that drift,
/// participants whose series differ, and Bob.
fn cluster() -> NewRun {
    let mut r = NewRun::new(Kind::Cluster, "browser test", 11, json!({}), json!({}));
    let shape = |k: usize, shift: f64| -> Vec<f64> {
        (0..24)
            .map(|t| shift + ((t as f64 + 3.0 * k as f64) / 4.0).sin() * (2.0 + k as f64))
            .collect()
    };
    r.iterations = (0..5)
        .map(|i| IterationRecord {
            iteration: i,
            epsilon: Some(0.5 / f64::from(i + 1)),
            inertia_before: Some(100.0 - 5.0 * f64::from(i)),
            inertia_after: Some(110.0 + 20.0 * f64::from(i)),
            centroids_before: (0..4).map(|k| shape(k, 5.0)).collect(),
            centroids_after: (0..4)
                .map(|k| shape((k + i as usize) % 4, 5.0 + f64::from(i)))
                .collect(),
        })
        .collect();
    r.series = [5u32, 44, 71, 120, 160, 213]
        .iter()
        .enumerate()
        .map(|(j, p)| SeriesRecord {
            participant: *p,
            values: shape(j % 4, 4.0 + j as f64),
        })
        .collect();
    r
}

fn store(path: &std::path::Path) {
    let _ = std::fs::remove_file(path);
    let mut s = Store::open(path).unwrap();
    s.record(&cluster()).unwrap();
    let mut d = NewRun::new(Kind::Dream, "dream in the browser", 1, json!({}), json!({}));
    d.slots = (0..12)
        .map(|t| SlotRecord {
            slot: t,
            published: Some(10.0 + f64::from(t) + 0.3),
            truth: 10.0 + f64::from(t),
            reporting: Some(4),
        })
        .collect();
    s.record(&d).unwrap();
}

async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The value of the number input `css`.
async fn number(c: &Client, css: &str) -> usize {
    let v = c
        .find(Locator::Css(css))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    v.parse().unwrap_or_else(|_| panic!("{css} holds {v:?}"))
}

async fn shot(c: &Client, name: &str) {
    if let Ok(dir) = std::env::var("SFUMATO_SCREENSHOTS") {
        let png = c.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join(name), png).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_and_the_slider_and_the_window_drive_what_is_shown() {
    if std::env::var("SFUMATO_SKIP_BROWSER").is_ok() {
        eprintln!("SFUMATO_SKIP_BROWSER is set: the browser test did not run");
        return;
    }
    // The workspace enables two rustls providers (ring for sfumato-net,
    // aws-lc for fantoccini's connector): choose one, as rustls asks.
    #[allow(deprecated)] // ring, as sfumato-net uses it (tls.rs).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = std::env::temp_dir().join(format!("sfumato-web-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("runs.sqlite");
    store(&path);
    // The dashboard, on a free port.
    let (tx, rx) = tokio::sync::oneshot::channel();
    let p = path.clone();
    tokio::spawn(async move {
        sfumato_web::serve("127.0.0.1:0".parse().unwrap(), p, move |a| {
            let _ = tx.send(a);
        })
        .await
        .unwrap();
    });
    let addr = rx.await.unwrap();
    let base = format!("http://{addr}");
    // chromedriver, and Chromium through it.
    let port = free_port();
    let driver = Driver(
        Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian's chromium-driver; .ci/run installs it)"),
    );
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1800"]}),
    );
    let mut client = None;
    for _ in 0..100 {
        match ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let c = client.expect("a WebDriver session");
    let run = cluster();

    // The list of runs.
    c.goto(&format!("{base}/")).await.unwrap();
    let rows = c.find_all(Locator::Css("#runs tbody tr")).await.unwrap();
    assert_eq!(rows.len(), 2);
    shot(&c, "runs.png").await;

    // The cluster run, at iteration 0: the page's script drew the charts.
    c.goto(&format!("{base}/run/1")).await.unwrap();
    let canvases = c
        .find_all(Locator::Css("#participants canvas"))
        .await
        .unwrap();
    assert_eq!(canvases.len(), 4, "four participants' charts");
    assert!(c.find(Locator::Css("#inertia-chart canvas")).await.is_ok());
    assert!(
        c.find(Locator::Css("#centroids-chart canvas"))
            .await
            .is_ok()
    );
    let p = run.series[0].participant;
    let before = text(&c, &format!("#closest-{p}")).await;
    // Move the slider to iteration 3 with the keyboard, as a person would.
    let slider = c.find(Locator::Css("#iter")).await.unwrap();
    slider.click().await.unwrap();
    c.execute("document.getElementById('iter').focus()", vec![])
        .await
        .unwrap();
    for _ in 0..5 {
        slider.send_keys("\u{E012}").await.unwrap(); // left: to 0
    }
    for _ in 0..3 {
        slider.send_keys("\u{E014}").await.unwrap(); // right
    }
    assert_eq!(text(&c, "#iter-label").await, "4");
    let after = text(&c, &format!("#closest-{p}")).await;
    let (k, d) = closest(&run.series[0].values, &run.iterations[3].centroids_after).unwrap();
    assert_eq!(after, format!("closest centroid {k}, distance {d:.3}"));
    let (k0, d0) = closest(&run.series[0].values, &run.iterations[0].centroids_after).unwrap();
    assert_eq!(before, format!("closest centroid {k0}, distance {d0:.3}"));
    assert_ne!(before, after, "the slider changed what is shown");
    assert!(c.current_url().await.unwrap().as_str().contains("iter=3"));
    shot(&c, "cluster.png").await;

    // Bob: drag across his chart; the window and the matches follow.
    c.execute(
        "document.getElementById('bob-chart').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await
    .unwrap();
    let rect = c
        .execute(
            "const r = document.querySelector('#bob-chart .u-over').getBoundingClientRect(); \
             return [r.left, r.top, r.width, r.height];",
            vec![],
        )
        .await
        .unwrap();
    let r: Vec<f64> = serde_json::from_value(rect).unwrap();
    let (x0, y) = (r[0] + r[2] * 0.5, r[1] + r[3] * 0.5);
    let x1 = r[0] + r[2] * 0.8;
    let drag = MouseActions::new("mouse".into())
        .then(PointerAction::MoveTo {
            duration: None,
            x: x0,
            y,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveTo {
            duration: Some(Duration::from_millis(250)),
            x: x1,
            y,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    c.perform_actions(drag).await.unwrap();
    let start = number(&c, "#w-start").await;
    let len = number(&c, "#w-len").await;
    assert!(
        (10..=13).contains(&start),
        "the drag began mid-chart: {start}"
    );
    assert!(
        (5..=9).contains(&len),
        "it spanned about 30 % of 24 slots: {len}"
    );
    let bob = &run
        .series
        .iter()
        .find(|s| s.participant == 213)
        .unwrap()
        .values;
    let (eu, zn) = window_matches(bob, start, len, &run.iterations[3].centroids_after);
    let first = text(&c, "#bob-euclid li").await;
    assert_eq!(first, format!("profile {}: {:.3}", eu[0].0, eu[0].1));
    let first_z = text(&c, "#bob-znorm li").await;
    assert_eq!(first_z, format!("profile {}: {:.3}", zn[0].0, zn[0].1));
    assert!(
        c.current_url()
            .await
            .unwrap()
            .as_str()
            .contains(&format!("w={start}%2C{len}"))
    );
    shot(&c, "bob.png").await;

    // DREAM, and an unknown run's page.
    c.goto(&format!("{base}/run/2")).await.unwrap();
    assert!(c.find(Locator::Css("#slots-chart canvas")).await.is_ok());
    shot(&c, "dream.png").await;
    c.goto(&format!("{base}/run/77")).await.unwrap();
    assert!(text(&c, "#error").await.contains("no run 77"));
    c.close().await.unwrap();
    drop(driver);
}
