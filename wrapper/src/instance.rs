//! The operator's device type (`instanceid`).

use std::fmt;
use std::str::FromStr;

use crate::error::ValidationError;

macro_rules! instances {
    ($($variant:ident = $code:literal, $name:literal, $label:literal;)*) => {
        /// The operator's device type, sent as `instanceid`. All 16 documented values.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Instance {
            $(#[doc = $label] $variant = $code,)*
        }

        impl Instance {
            /// Every documented device type, in code order.
            pub const ALL: &'static [Instance] = &[$(Instance::$variant),*];

            /// The kebab-case name used on the command line, e.g. `android-pad`.
            pub fn name(self) -> &'static str {
                match self { $(Instance::$variant => $name,)* }
            }

            /// What a refused value is told it should have been: every name and number.
            fn expected() -> String {
                let names: Vec<&str> = vec![$($name),*];
                format!(
                    "a device type is one of {} (or its number: 1-10, 20-22, 30, 32, 33)",
                    names.join(", ")
                )
            }
        }

        impl TryFrom<i32> for Instance {
            type Error = ValidationError;

            fn try_from(code: i32) -> Result<Self, ValidationError> {
                match code {
                    $($code => Ok(Instance::$variant),)*
                    _ => Err(ValidationError::new(
                        "instanceid",
                        format!("{code} is not a documented device type: {}", Instance::expected()),
                    )),
                }
            }
        }

        impl FromStr for Instance {
            type Err = ValidationError;

            /// A kebab-case name (`pc`, `android-pad`, …) or a number.
            fn from_str(s: &str) -> Result<Self, ValidationError> {
                match s {
                    $($name => Ok(Instance::$variant),)*
                    _ => match s.parse::<i32>() {
                        Ok(code) => Instance::try_from(code),
                        Err(_) => Err(ValidationError::new(
                            "instanceid",
                            format!("{s:?} is not a device type: {}", Instance::expected()),
                        )),
                    },
                }
            }
        }
    };
}

instances! {
    Pc = 1, "pc", "1: PC.";
    Mac = 2, "mac", "2: Mac.";
    Android = 3, "android", "3: Android.";
    Ios = 4, "ios", "4: iOS.";
    Web = 5, "web", "5: Web.";
    Ipad = 6, "ipad", "6: iPad.";
    AndroidPad = 7, "android-pad", "7: Android Pad.";
    MiniProgram = 8, "mini-program", "8: mini program (小程序).";
    Sip = 9, "sip", "9: voip / sip device.";
    Linux = 10, "linux", "10: Linux.";
    RoomsWindows = 20, "rooms-windows", "20: Rooms for Touch Windows.";
    RoomsMac = 21, "rooms-mac", "21: Rooms for Touch Mac.";
    RoomsAndroid = 22, "rooms-android", "22: Rooms for Touch Android.";
    ControllerWindows = 30, "controller-windows", "30: Controller for Touch Windows.";
    ControllerAndroid = 32, "controller-android", "32: Controller for Touch Android.";
    ControllerIphone = 33, "controller-iphone", "33: Controller for Touch iPhone.";
}

impl From<Instance> for i32 {
    fn from(instance: Instance) -> i32 {
        instance as i32
    }
}

impl fmt::Display for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_all_sixteen() {
        assert_eq!(Instance::ALL.len(), 16);
        for &i in Instance::ALL {
            assert_eq!(Instance::try_from(i32::from(i)), Ok(i));
            assert_eq!(i.name().parse::<Instance>(), Ok(i));
        }
    }

    #[test]
    fn refuses_undocumented_codes() {
        for code in [0, 11, 19, 23, 31, 34, -1, i32::MAX] {
            let err = Instance::try_from(code).err();
            assert_eq!(err.map(|e| e.field()), Some("instanceid"), "{code}");
        }
    }

    #[test]
    fn a_refusal_lists_every_name() {
        for bad in ["11", "desktop", "PC", ""] {
            let rule = bad.parse::<Instance>().map(|_| ()).unwrap_err().to_string();
            for &i in Instance::ALL {
                assert!(rule.contains(i.name()), "{bad}: {rule} lacks {}", i.name());
            }
            assert!(rule.contains("20-22"), "{bad}: {rule}");
        }
    }
}
