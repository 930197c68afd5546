//! The same channel scripts on corio's `mpsc` and on tokio's (current-thread runtime), step by
//! step, with futures polled by hand so that both see exactly the same interleaving. Each
//! step's outcome is written as text; the two transcripts must be equal.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

fn poll_once<F: Future>(f: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

fn corio_send<T>(r: Result<(), corio::sync::mpsc::TrySendError<T>>) -> &'static str {
    match r {
        Ok(()) => "Ok",
        Err(corio::sync::mpsc::TrySendError::Full(_)) => "Full",
        Err(corio::sync::mpsc::TrySendError::Closed(_)) => "Closed",
    }
}

fn tokio_send<T>(r: Result<(), tokio::sync::mpsc::error::TrySendError<T>>) -> &'static str {
    match r {
        Ok(()) => "Ok",
        Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => "Full",
        Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => "Closed",
    }
}

/// A receiver waits; sends go to it; capacity comes back only when it has run.
fn script_corio() -> Vec<String> {
    corio::run(async {
        let mut log = Vec::new();
        let (tx, rx) = corio::sync::mpsc::channel::<u32>(1);
        {
            let mut recv = pin!(rx.recv());
            log.push(format!("{:?}", poll_once(recv.as_mut())));
            log.push(corio_send(tx.try_send(1)).to_string());
            log.push(corio_send(tx.try_send(2)).to_string());
            log.push(format!("{:?}", poll_once(recv.as_mut())));
        }
        log.push(corio_send(tx.try_send(2)).to_string());
        log.push(corio_send(tx.try_send(3)).to_string());
        {
            let mut send = pin!(tx.send(3));
            log.push(format!("{:?}", poll_once(send.as_mut()).map(|r| r.is_ok())));
            log.push(format!("{:?}", rx.try_recv().ok()));
            log.push(format!("{:?}", poll_once(send.as_mut()).map(|r| r.is_ok())));
        }
        log.push(format!("{:?}", rx.try_recv().ok()));
        log.push(format!("{:?}", rx.try_recv().ok()));
        let tx2 = tx.clone();
        log.push(corio_send(tx2.try_send(4)).to_string());
        drop(tx);
        drop(tx2);
        {
            let mut recv = pin!(rx.recv());
            log.push(format!("{:?}", poll_once(recv.as_mut())));
        }
        {
            let mut recv = pin!(rx.recv());
            log.push(format!("{:?}", poll_once(recv.as_mut())));
        }
        let (tx, rx) = corio::sync::mpsc::channel::<u32>(2);
        drop(rx);
        log.push(corio_send(tx.try_send(5)).to_string());
        log
    })
}

fn script_tokio() -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut log = Vec::new();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
        {
            let mut recv = pin!(rx.recv());
            log.push(format!("{:?}", poll_once(recv.as_mut())));
            log.push(tokio_send(tx.try_send(1)).to_string());
            log.push(tokio_send(tx.try_send(2)).to_string());
            log.push(format!("{:?}", poll_once(recv.as_mut())));
        }
        log.push(tokio_send(tx.try_send(2)).to_string());
        log.push(tokio_send(tx.try_send(3)).to_string());
        {
            let mut send = pin!(tx.send(3));
            log.push(format!("{:?}", poll_once(send.as_mut()).map(|r| r.is_ok())));
            log.push(format!("{:?}", rx.try_recv().ok()));
            log.push(format!("{:?}", poll_once(send.as_mut()).map(|r| r.is_ok())));
        }
        log.push(format!("{:?}", rx.try_recv().ok()));
        log.push(format!("{:?}", rx.try_recv().ok()));
        let tx2 = tx.clone();
        log.push(tokio_send(tx2.try_send(4)).to_string());
        drop(tx);
        drop(tx2);
        {
            let mut recv = pin!(rx.recv());
            log.push(format!("{:?}", poll_once(recv.as_mut())));
        }
        {
            let mut recv = pin!(rx.recv());
            log.push(format!("{:?}", poll_once(recv.as_mut())));
        }
        let (tx, rx) = tokio::sync::mpsc::channel::<u32>(2);
        drop(rx);
        log.push(tokio_send(tx.try_send(5)).to_string());
        log
    })
}

#[test]
fn mpsc_capacity_and_closing_match_tokio() {
    let corio = script_corio();
    let tokio = script_tokio();
    assert_eq!(corio, tokio, "corio (left) and tokio (right)");
    // The step the two used to disagree on: a message handed to a waiting receiver still
    // takes the capacity until the receiver has run.
    assert_eq!(corio[2], "Full");
}
