//! A static HTTP/1.1 file server on 127.0.0.1 for tests (a TUF repository is plain files):
//! `GET /<path>` answers the file under its root, anything else 404. It records what it served.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub(crate) struct StaticServer {
    pub(crate) url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl StaticServer {
    /// Serves `root` on a free port, on its own thread with its own runtime (so blocking tests
    /// and async tests can both use it).
    pub(crate) fn start(root: PathBuf) -> Self {
        let (sender, receiver) = std::sync::mpsc::channel();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                sender.send(listener.local_addr().unwrap()).unwrap();
                while let Ok((mut stream, _)) = listener.accept().await {
                    let (root, seen) = (root.clone(), seen.clone());
                    tokio::spawn(async move {
                        let mut head = Vec::new();
                        let mut byte = [0u8; 1];
                        while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
                            if stream.read(&mut byte).await.unwrap_or(0) == 0 {
                                return;
                            }
                            head.push(byte[0]);
                        }
                        let text = String::from_utf8_lossy(&head);
                        let path = text.split(' ').nth(1).unwrap_or("/").to_owned();
                        seen.lock().unwrap().push(path.clone());
                        let file = root.join(path.trim_start_matches('/'));
                        let safe = !path.contains("..");
                        let response = match std::fs::read(&file) {
                            Ok(body) if safe && file.is_file() => {
                                let mut r = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes();
                                r.extend(body);
                                r
                            }
                            _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
                        };
                        let _ = stream.write_all(&response).await;
                        let _ = stream.shutdown().await;
                    });
                }
            });
        });
        let address = receiver.recv().unwrap();
        Self {
            url: format!("http://{address}"),
            requests,
        }
    }

    /// The paths requested so far.
    pub(crate) fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}
