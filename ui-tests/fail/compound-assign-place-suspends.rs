//! A suspension point in the place of a compound assignment whose right operand is a call.
use std::cell::RefCell;

fn f() -> u32 {
    1
}

#[corio::coroutine]
async fn bump(cell: std::rc::Rc<RefCell<u32>>) {
    *std::future::ready(cell.clone()).await.borrow_mut() += f();
}

fn main() {}
