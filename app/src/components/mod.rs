pub mod dialogs;
pub mod error_box;
pub mod layout;
