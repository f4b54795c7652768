//! A feature-file loader for a board that keeps the file on a SPI NOR flash,
//! written against `embedded-hal` 1.0 traits only, plus simulated parts to
//! test it on the host.
//!
//! # Image format
//!
//! At the image's base address: a 4-byte little-endian length `len`, then
//! `len` bytes of feature-file JSON. Erased flash reads `0xFF`, so an erased
//! header reads as `len = 0xFFFF_FFFF` and is rejected as too long before any
//! body is read.
//!
//! # Status LED
//!
//! Driven after every load, active-high:
//!
//! - **off** (low): healthy — the table serving came from the image just
//!   loaded;
//! - **on** (high): degraded — the last load failed (flash error, length over
//!   the buffer, or a file the [`Reloader`] rejected), so the last known good
//!   table (if any) keeps serving.
//!
//! The loader lives here rather than in the library: the image format and the
//! LED's meaning are the board's choices, the library's job ends at
//! [`Reloader::offer`] on a byte slice, and `embedded-hal` stays a
//! dev-dependency.

use embedded_hal::digital::OutputPin;
use embedded_hal::spi::{self, ErrorKind, Operation, SpiDevice};
use feature_table::{Accepted, ReloadError, Reloader};

/// The standard SPI NOR "Read Data" command: opcode, 24-bit big-endian
/// address, then data for as long as the clock runs.
pub const READ: u8 = 0x03;

/// Bytes of the length header before the JSON.
pub const HEADER_LEN: u32 = 4;

/// Why a load did not make a new table active. In every case the reloader's
/// active table is unchanged.
#[derive(Debug, PartialEq)]
pub enum LoadError<SpiE, PinE> {
    /// The flash read failed.
    Flash(SpiE),
    /// The header announces `len` bytes; the loader's buffer holds `capacity`.
    TooLong { len: u32, capacity: usize },
    /// The image was read but the reloader rejected the file.
    Rejected(ReloadError),
    /// The file was accepted but the status LED could not be driven.
    Led(PinE),
}

/// Reads feature-file images from a SPI NOR flash into a fixed `B`-byte
/// buffer and offers them to a [`Reloader`]. No allocation.
pub struct FlashLoader<SPI, LED, const B: usize> {
    spi: SPI,
    led: LED,
    buf: [u8; B],
}

impl<SPI: SpiDevice, LED: OutputPin, const B: usize> FlashLoader<SPI, LED, B> {
    pub fn new(spi: SPI, led: LED) -> Self {
        Self { spi, led, buf: [0; B] }
    }

    pub fn flash(&self) -> &SPI {
        &self.spi
    }

    pub fn spi_mut(&mut self) -> &mut SPI {
        &mut self.spi
    }

    pub fn led(&self) -> &LED {
        &self.led
    }

    /// Loads the image at `base` and offers it to `reloader`, then sets the
    /// LED: off if the file is now active, on otherwise. A failed load is
    /// reported as such even if the LED also fails.
    ///
    /// Cost: two SPI transactions (header, body) and one
    /// [`Reloader::offer`]; no allocation.
    pub fn load<const N: usize>(
        &mut self,
        reloader: &mut Reloader<N>,
        base: u32,
    ) -> Result<Accepted, LoadError<SPI::Error, LED::Error>> {
        let result = self.read_image(base).and_then(|len| {
            let image = self.buf.get(..len).ok_or(LoadError::TooLong { len: len as u32, capacity: B })?;
            reloader.offer(image).map_err(LoadError::Rejected)
        });
        let led = if result.is_ok() { self.led.set_low() } else { self.led.set_high() };
        match (result, led) {
            (Ok(_), Err(pin)) => Err(LoadError::Led(pin)),
            (result, _) => result,
        }
    }

    /// Reads the header and then the body into the buffer; returns the body
    /// length.
    fn read_image(&mut self, base: u32) -> Result<usize, LoadError<SPI::Error, LED::Error>> {
        let mut header = [0u8; HEADER_LEN as usize];
        Self::read_into(&mut self.spi, base, &mut header)?;
        let len = u32::from_le_bytes(header);
        let body = usize::try_from(len)
            .ok()
            .and_then(|len| self.buf.get_mut(..len))
            .ok_or(LoadError::TooLong { len, capacity: B })?;
        let len = body.len();
        Self::read_into(&mut self.spi, base.wrapping_add(HEADER_LEN), body)?;
        Ok(len)
    }

    /// One `READ` transaction: command and address, then `into.len()` bytes.
    /// Addresses are 24-bit, as on the chip: the top byte of `at` is ignored.
    fn read_into(spi: &mut SPI, at: u32, into: &mut [u8]) -> Result<(), LoadError<SPI::Error, LED::Error>> {
        let [_, a2, a1, a0] = at.to_be_bytes();
        spi.transaction(&mut [Operation::Write(&[READ, a2, a1, a0]), Operation::Read(into)]).map_err(LoadError::Flash)
    }
}

/// A SPI NOR flash chip in memory: answers `READ` (0x03) with the bytes of
/// `image` from the 24-bit address on, `0xFF` past its end (erased flash).
pub struct SimFlash {
    pub image: Vec<u8>,
    /// Fail the transaction with this index (0-based, counted over the chip's
    /// life) with a bus error, to simulate a flaky read.
    pub fail_transaction: Option<usize>,
    /// Transactions seen so far.
    pub transactions: usize,
}

impl SimFlash {
    pub fn new(image: Vec<u8>) -> Self {
        Self { image, fail_transaction: None, transactions: 0 }
    }
}

/// A bus error of the simulated chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimSpiError(pub ErrorKind);

impl spi::Error for SimSpiError {
    fn kind(&self) -> ErrorKind {
        self.0
    }
}

impl spi::ErrorType for SimFlash {
    type Error = SimSpiError;
}

impl SpiDevice for SimFlash {
    fn transaction(&mut self, operations: &mut [Operation<'_, u8>]) -> Result<(), SimSpiError> {
        let index = self.transactions;
        self.transactions += 1;
        if self.fail_transaction == Some(index) {
            return Err(SimSpiError(ErrorKind::Other));
        }
        // Chip select asserted: the first bytes written are the command and
        // address; every read after that streams from the address on.
        let mut command: Vec<u8> = Vec::new();
        let mut address: Option<usize> = None;
        for op in operations.iter_mut() {
            match op {
                Operation::Write(bytes) if address.is_none() => {
                    command.extend_from_slice(bytes);
                    if command.len() >= 4 {
                        if command[0] != READ || command.len() > 4 {
                            return Err(SimSpiError(ErrorKind::Other));
                        }
                        address = Some(
                            usize::from(command[1]) << 16 | usize::from(command[2]) << 8 | usize::from(command[3]),
                        );
                    }
                }
                Operation::Read(into) => {
                    let Some(at) = address.as_mut() else { return Err(SimSpiError(ErrorKind::Other)) };
                    for byte in into.iter_mut() {
                        *byte = self.image.get(*at).copied().unwrap_or(0xFF);
                        *at += 1;
                    }
                }
                Operation::DelayNs(_) => {}
                // The loader never writes after the address or transfers.
                _ => return Err(SimSpiError(ErrorKind::Other)),
            }
        }
        Ok(())
    }
}

/// An output pin that records every level it was driven to (`true` = high).
#[derive(Default)]
pub struct SimPin {
    pub history: Vec<bool>,
}

impl SimPin {
    /// The level last driven, `None` if never driven.
    pub fn is_high(&self) -> Option<bool> {
        self.history.last().copied()
    }
}

impl embedded_hal::digital::ErrorType for SimPin {
    type Error = core::convert::Infallible;
}

impl OutputPin for SimPin {
    fn set_low(&mut self) -> Result<(), Self::Error> {
        self.history.push(false);
        Ok(())
    }

    fn set_high(&mut self) -> Result<(), Self::Error> {
        self.history.push(true);
        Ok(())
    }
}

/// A flash image: the 4-byte little-endian length, then `json`.
pub fn image(json: &[u8]) -> Vec<u8> {
    let mut image = (json.len() as u32).to_le_bytes().to_vec();
    image.extend_from_slice(json);
    image
}
