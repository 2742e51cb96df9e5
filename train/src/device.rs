//! Which device to train on, and the checks that must pass before Burn touches it.
//!
//! Burn panics when it creates a CUDA device on a machine without the NVIDIA driver; a training
//! job should instead fail with an error that says what is missing. So the driver library is
//! loaded and asked for its device count first.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where to train. In TOML: `device = "cpu"` or `device = { cuda = 0 }`; on a command line
/// (`FromStr`): `cpu`, `cuda` or `cuda:N`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    /// Burn's ndarray backend on the CPU.
    #[default]
    Cpu,
    /// CUDA GPU with this index (needs the `cuda` feature and an NVIDIA driver).
    Cuda(usize),
}

impl FromStr for DeviceChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" | "gpu" => Ok(DeviceChoice::Cuda(0)),
            other => other
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(DeviceChoice::Cuda)
                .ok_or_else(|| format!("unknown device {s:?}: expected cpu, cuda or cuda:N")),
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceChoice::Cpu => write!(f, "cpu"),
            DeviceChoice::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

/// Checks that the NVIDIA driver library loads, initialises, and has device `index`.
#[cfg(feature = "cuda")]
pub fn check_cuda(index: usize) -> Result<(), String> {
    use libloading::{Library, Symbol};
    #[cfg(windows)]
    const DRIVER: &str = "nvcuda.dll";
    #[cfg(not(windows))]
    const DRIVER: &str = "libcuda.so.1";
    // SAFETY: loading the NVIDIA driver runs only its own initialisers; the two entry points are
    // called with the signatures of the CUDA driver API (cuInit(unsigned), cuDeviceGetCount(int*)).
    unsafe {
        let lib = Library::new(DRIVER)
            .map_err(|e| format!("cannot load {DRIVER} (is the NVIDIA driver installed?): {e}"))?;
        let init: Symbol<unsafe extern "C" fn(u32) -> i32> = lib
            .get(b"cuInit\0")
            .map_err(|e| format!("{DRIVER} lacks cuInit: {e}"))?;
        let rc = init(0);
        if rc != 0 {
            return Err(format!(
                "cuInit failed with CUDA error {rc} (no usable GPU?)"
            ));
        }
        let count: Symbol<unsafe extern "C" fn(*mut i32) -> i32> =
            lib.get(b"cuDeviceGetCount\0")
                .map_err(|e| format!("{DRIVER} lacks cuDeviceGetCount: {e}"))?;
        let mut n = 0i32;
        let rc = count(&mut n);
        if rc != 0 {
            return Err(format!("cuDeviceGetCount failed with CUDA error {rc}"));
        }
        if index >= n.max(0) as usize {
            return Err(format!("CUDA device {index} requested, but {n} present"));
        }
        // Keep the driver loaded: Burn's CUDA runtime loads it again and expects it initialised.
        std::mem::forget(lib);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_serialises_devices() {
        assert_eq!("cpu".parse::<DeviceChoice>(), Ok(DeviceChoice::Cpu));
        assert_eq!("CUDA".parse::<DeviceChoice>(), Ok(DeviceChoice::Cuda(0)));
        assert_eq!("cuda:3".parse::<DeviceChoice>(), Ok(DeviceChoice::Cuda(3)));
        assert!("tpu".parse::<DeviceChoice>().is_err());
        assert_eq!(
            serde_json::to_string(&DeviceChoice::Cpu).unwrap(),
            "\"cpu\""
        );
        assert_eq!(
            serde_json::to_string(&DeviceChoice::Cuda(1)).unwrap(),
            "{\"cuda\":1}"
        );
        assert_eq!(DeviceChoice::Cuda(2).to_string(), "cuda:2");
    }
}
