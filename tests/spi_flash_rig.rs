//! The library on a board: a feature file read from SPI NOR flash through
//! `embedded-hal` traits, a status LED, and last known good through every
//! kind of bad image. The loader and the simulated chip and pin are in
//! `rig/mod.rs`.

mod rig;

use embedded_hal::spi::{Error as _, ErrorKind};
use feature_table::{IngestError, JsonError, JsonErrorKind, Policy, ReloadError, Reloader, json};
use rig::{FlashLoader, LoadError, SimFlash, SimPin, SimSpiError, image};

/// Loader buffer: 16 KiB, room for a 200-feature file.
const BUF: usize = 16 * 1024;

type Loader = FlashLoader<SimFlash, SimPin, BUF>;

/// A feature file of `count` features named `f000`, `f001`, ...
fn file(version: u64, count: usize) -> String {
    let entries: Vec<String> = (0..count).map(|i| format!(r#"{{"name":"f{i:03}","default":0.5}}"#)).collect();
    format!(r#"{{"version":{version},"features":[{}]}}"#, entries.join(","))
}

/// The 2025-11-18 shape: every entry of a good file listed twice.
fn doubled(version: u64, count: usize) -> String {
    let entries: Vec<String> = (0..2 * count).map(|i| format!(r#"{{"name":"f{:03}"}}"#, i % count)).collect();
    format!(r#"{{"version":{version},"features":[{}]}}"#, entries.join(","))
}

/// A reloader serving version 1 (60 features) loaded from flash, LED healthy.
fn serving_v1() -> (Loader, Reloader<200>) {
    let mut loader = Loader::new(SimFlash::new(image(file(1, 60).as_bytes())), SimPin::default());
    let mut reloader = Reloader::<200>::new(Policy::DEFAULT);
    let accepted = loader.load(&mut reloader, 0).unwrap();
    assert_eq!((accepted.version, accepted.len), (1, 60));
    assert_eq!(loader.led().is_high(), Some(false));
    (loader, reloader)
}

#[test]
fn good_image_is_accepted_with_two_read_commands_and_led_off() {
    let (loader, reloader) = serving_v1();
    assert_eq!(reloader.active().unwrap().version(), 1);
    assert_eq!(reloader.active().unwrap().index_of("f059"), Some(59));
    assert_eq!(loader.led().history, [false]);
    assert_eq!(loader_transactions(&loader), 2, "one for the header, one for the body");
}

#[test]
fn doubled_image_is_rejected_last_good_keeps_serving_and_led_turns_on() {
    let (mut loader, mut reloader) = serving_v1();
    let before = reloader.active().unwrap().clone();
    loader.spi_mut().image = image(doubled(2, 60).as_bytes());

    let err = loader.load(&mut reloader, 0).unwrap_err();

    assert!(
        matches!(&err, LoadError::Rejected(ReloadError::Ingest(IngestError::DuplicateName { name, first: 0, second: 60 })) if name.as_str() == "f000"),
        "{err:?}"
    );
    assert_eq!(reloader.active().unwrap(), &before);
    assert_eq!(loader.led().is_high(), Some(true));
}

#[test]
fn truncated_image_is_rejected_as_malformed_eof_and_led_turns_on() {
    let (mut loader, mut reloader) = serving_v1();
    let before = reloader.active().unwrap().clone();
    let json = file(2, 60);
    // A write cut short: the header was written for the bytes that made it.
    loader.spi_mut().image = image(&json.as_bytes()[..json.len() / 2]);

    let err = loader.load(&mut reloader, 0).unwrap_err();

    assert!(
        matches!(
            err,
            LoadError::Rejected(ReloadError::Ingest(IngestError::Json {
                error: json::Error::Syntax(JsonError {
                    kind: JsonErrorKind::EofWhileParsingObject
                        | JsonErrorKind::EofWhileParsingString
                        | JsonErrorKind::EofWhileParsingValue
                        | JsonErrorKind::EofWhileParsingList
                        | JsonErrorKind::EofWhileParsingNumber,
                    ..
                }),
                ..
            }))
        ),
        "{err:?}"
    );
    assert_eq!(reloader.active().unwrap(), &before);
    assert_eq!(loader.led().is_high(), Some(true));
}

#[test]
fn header_longer_than_what_was_written_reads_erased_flash_and_is_rejected() {
    let (mut loader, mut reloader) = serving_v1();
    let before = reloader.active().unwrap().clone();
    let json = file(2, 60);
    let mut img = image(json.as_bytes());
    img.truncate(img.len() / 2); // the header promises the whole file; the rest is erased (0xFF)
    loader.spi_mut().image = img;

    let err = loader.load(&mut reloader, 0).unwrap_err();

    assert!(
        matches!(
            err,
            LoadError::Rejected(ReloadError::Ingest(IngestError::Json { error: json::Error::Syntax(_), .. }))
        ),
        "{err:?}"
    );
    assert_eq!(reloader.active().unwrap(), &before);
    assert_eq!(loader.led().is_high(), Some(true));
}

#[test]
fn erased_flash_is_too_long_for_the_buffer_and_no_body_is_read() {
    let (mut loader, mut reloader) = serving_v1();
    let before = reloader.active().unwrap().clone();
    loader.spi_mut().image = Vec::new(); // all 0xFF
    let transactions = loader_transactions(&loader);

    let err = loader.load(&mut reloader, 0).unwrap_err();

    assert_eq!(err, LoadError::TooLong { len: u32::MAX, capacity: BUF });
    assert_eq!(loader_transactions(&loader), transactions + 1, "only the header was read");
    assert_eq!(reloader.active().unwrap(), &before);
    assert_eq!(reloader.stats().rejected, 0, "nothing was offered");
    assert_eq!(loader.led().is_high(), Some(true));
}

#[test]
fn flash_read_error_is_typed_changes_nothing_and_led_turns_on() {
    let (mut loader, mut reloader) = serving_v1();
    let before = reloader.active().unwrap().clone();
    loader.spi_mut().image = image(file(2, 60).as_bytes());
    // Fail the body read (the header read succeeds).
    loader.spi_mut().fail_transaction = Some(loader_transactions(&loader) + 1);

    let err = loader.load(&mut reloader, 0).unwrap_err();

    assert_eq!(err, LoadError::Flash(SimSpiError(ErrorKind::Other)));
    assert!(matches!(err, LoadError::Flash(e) if e.kind() == ErrorKind::Other));
    assert_eq!(reloader.active().unwrap(), &before);
    assert_eq!(reloader.stats().rejected, 0, "nothing was offered");
    assert_eq!(loader.led().is_high(), Some(true));
}

#[test]
fn good_newer_image_after_failures_is_accepted_and_led_turns_off_again() {
    let (mut loader, mut reloader) = serving_v1();
    let v1 = reloader.active().unwrap().clone();

    for bad in [image(doubled(2, 60).as_bytes()), image(&file(2, 60).as_bytes()[..100]), Vec::new()] {
        loader.spi_mut().image = bad;
        assert!(loader.load(&mut reloader, 0).is_err());
        assert_eq!(reloader.active().unwrap(), &v1, "nothing lost");
    }
    loader.spi_mut().fail_transaction = Some(loader_transactions(&loader));
    assert!(matches!(loader.load(&mut reloader, 0), Err(LoadError::Flash(_))));
    assert_eq!(reloader.active().unwrap(), &v1, "nothing lost");
    assert_eq!(loader.led().is_high(), Some(true));

    loader.spi_mut().image = image(file(2, 70).as_bytes());
    let accepted = loader.load(&mut reloader, 0).unwrap();

    assert_eq!((accepted.version, accepted.len), (2, 70));
    assert_eq!(reloader.active().unwrap().version(), 2);
    assert_eq!(loader.led().history, [false, true, true, true, true, false]);
}

#[test]
fn image_at_a_nonzero_base_address_is_read_from_there() {
    let mut flash = vec![0xFF; 0x1_0000];
    flash.extend(image(file(3, 5).as_bytes()));
    let mut loader = Loader::new(SimFlash::new(flash), SimPin::default());
    let mut reloader = Reloader::<200>::new(Policy::DEFAULT);

    assert_eq!(loader.load(&mut reloader, 0x1_0000).unwrap().version, 3);
    assert!(matches!(loader.load(&mut reloader, 0), Err(LoadError::TooLong { .. })));
}

fn loader_transactions(loader: &Loader) -> usize {
    loader.flash().transactions
}
