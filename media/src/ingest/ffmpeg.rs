//! Running ffmpeg and ffprobe: probing track files, and scaling every track to
//! one size and concatenating them into an H.264/AAC MP4 while reading ffmpeg's
//! `-progress` output. Tracks without sound get silence so the concat filter
//! always has an audio stream to join.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

/// Most of ffmpeg's error output kept as a failure reason.
const STDERR_TAIL_BYTES: usize = 4096;

/// Why ffmpeg or ffprobe failed.
#[derive(Debug, thiserror::Error)]
pub enum FfmpegError {
    /// The program could not be started.
    #[error("{program} could not be started: {source}")]
    Spawn {
        /// Which program.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// It ran and failed; the reason is the end of its error output.
    #[error("{0}")]
    Failed(String),
}

/// The two programs.
#[derive(Debug, Clone)]
pub struct Ffmpeg {
    ffmpeg: PathBuf,
    ffprobe: PathBuf,
}

/// What ffprobe says of a media file.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// Length in seconds, when it could be found.
    pub duration: Option<f64>,
    /// Whether it has a video stream.
    pub has_video: bool,
    /// Whether it has an audio stream.
    pub has_audio: bool,
    /// The first video stream's size.
    pub video_size: Option<(u32, u32)>,
    /// Codec names of the streams.
    pub codecs: Vec<String>,
}

#[derive(Deserialize)]
struct ProbeJson {
    #[serde(default)]
    streams: Vec<ProbeStream>,
    format: Option<ProbeFormat>,
}

#[derive(Deserialize)]
struct ProbeStream {
    codec_type: Option<String>,
    codec_name: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
}

#[derive(Deserialize)]
struct ProbeFormat {
    duration: Option<String>,
}

impl Ffmpeg {
    /// The programs at the given paths (or names looked up on `PATH`), if both run.
    pub async fn locate(ffmpeg: &Path, ffprobe: &Path) -> Option<Self> {
        for program in [ffmpeg, ffprobe] {
            let ran = Command::new(program)
                .arg("-version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .status()
                .await;
            if !matches!(ran, Ok(s) if s.success()) {
                return None;
            }
        }
        Some(Self {
            ffmpeg: ffmpeg.to_owned(),
            ffprobe: ffprobe.to_owned(),
        })
    }

    /// Streams, size and duration of `path`. MediaRecorder files often carry no
    /// duration in their header; then the last packet's end time is used.
    pub async fn probe(&self, path: &Path) -> Result<Probe, FfmpegError> {
        let out = self
            .run_probe(
                &[
                    "-v",
                    "error",
                    "-show_entries",
                    "format=duration:stream=codec_type,codec_name,width,height",
                    "-of",
                    "json",
                ],
                path,
            )
            .await?;
        let parsed: ProbeJson = serde_json::from_str(&out)
            .map_err(|e| FfmpegError::Failed(format!("ffprobe gave unreadable output: {e}")))?;
        let kind = |k: &str| {
            parsed
                .streams
                .iter()
                .any(|s| s.codec_type.as_deref() == Some(k))
        };
        let mut probe = Probe {
            duration: parsed
                .format
                .and_then(|f| f.duration)
                .and_then(|d| d.parse::<f64>().ok())
                .filter(|d| d.is_finite() && *d > 0.0),
            has_video: kind("video"),
            has_audio: kind("audio"),
            video_size: parsed
                .streams
                .iter()
                .find(|s| s.codec_type.as_deref() == Some("video"))
                .and_then(|s| Some((s.width?, s.height?))),
            codecs: parsed
                .streams
                .iter()
                .filter_map(|s| s.codec_name.clone())
                .collect(),
        };
        if probe.duration.is_none() && probe.has_video {
            probe.duration = self.last_packet_end(path).await?;
        }
        Ok(probe)
    }

    async fn last_packet_end(&self, path: &Path) -> Result<Option<f64>, FfmpegError> {
        let out = self
            .run_probe(
                &[
                    "-v",
                    "error",
                    "-select_streams",
                    "v:0",
                    "-show_entries",
                    "packet=pts_time,duration_time",
                    "-of",
                    "csv=p=0",
                ],
                path,
            )
            .await?;
        Ok(out
            .lines()
            .filter_map(|line| {
                let mut parts = line.split(',');
                let pts = parts.next()?.trim().parse::<f64>().ok()?;
                let dur = parts
                    .next()
                    .and_then(|d| d.trim().parse::<f64>().ok())
                    .unwrap_or(0.0);
                Some(pts + dur)
            })
            .fold(None, |max: Option<f64>, t| {
                Some(max.map_or(t, |m| m.max(t)))
            }))
    }

    async fn run_probe(&self, args: &[&str], path: &Path) -> Result<String, FfmpegError> {
        let out = Command::new(&self.ffprobe)
            .args(args)
            .arg(path)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|source| spawn_error(&self.ffprobe, source))?;
        if !out.status.success() {
            return Err(FfmpegError::Failed(tail(&String::from_utf8_lossy(
                &out.stderr,
            ))));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Writes a `secs`-second VP8 WebM test pattern (what a browser's
    /// MediaRecorder sends), with an Opus tone when `audio`. Benchmarks and tests
    /// make their input with it.
    pub async fn test_pattern(
        &self,
        path: &Path,
        (width, height): (u32, u32),
        secs: u32,
        audio: bool,
    ) -> Result<(), FfmpegError> {
        let mut cmd = Command::new(&self.ffmpeg);
        cmd.args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
        ])
        .arg(format!(
            "testsrc=size={width}x{height}:rate=30:duration={secs}"
        ));
        if audio {
            cmd.args(["-f", "lavfi", "-i"]).arg(format!(
                "sine=frequency=440:sample_rate=48000:duration={secs}"
            ));
        }
        cmd.args(["-c:v", "libvpx", "-b:v", "1M", "-deadline", "realtime"])
            .args(["-cpu-used", "8"]);
        if audio {
            cmd.args(["-c:a", "libopus", "-shortest"]);
        }
        let out = cmd
            .arg(path)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|source| spawn_error(&self.ffmpeg, source))?;
        if !out.status.success() {
            return Err(FfmpegError::Failed(tail(&String::from_utf8_lossy(
                &out.stderr,
            ))));
        }
        Ok(())
    }

    /// Scales each input to `width`×`height` (letterboxed, 30 fps) and joins them
    /// in order into `output`. `progress` gets the seconds of output written so far.
    pub async fn scale_and_concat(
        &self,
        inputs: &[(PathBuf, Probe)],
        width: u32,
        height: u32,
        output: &Path,
        mut progress: impl FnMut(f64),
    ) -> Result<(), FfmpegError> {
        let mut cmd = Command::new(&self.ffmpeg);
        cmd.args(["-hide_banner", "-nostdin", "-y", "-loglevel", "error"]);
        for (path, _) in inputs {
            cmd.arg("-i").arg(path);
        }
        cmd.args(["-filter_complex", &filter_graph(inputs, width, height)])
            .args(["-map", "[v]", "-map", "[a]"])
            .args(["-c:v", "libx264", "-preset", "veryfast", "-crf", "23"])
            .args(["-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k"])
            .args(["-movflags", "+faststart", "-progress", "pipe:1", "-nostats"])
            .arg(output)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .map_err(|source| spawn_error(&self.ffmpeg, source))?;
        let stderr = child.stderr.take();
        let errors = tokio::spawn(async move {
            let mut text = String::new();
            if let Some(mut stderr) = stderr {
                let mut buf = Vec::new();
                let _ = stderr.read_to_end(&mut buf).await;
                text = String::from_utf8_lossy(&buf).into_owned();
            }
            text
        });
        if let Some(stdout) = child.stdout.take() {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(us) = line.strip_prefix("out_time_us=")
                    && let Ok(us) = us.trim().parse::<i64>()
                    && us >= 0
                {
                    progress(us as f64 / 1_000_000.0);
                }
            }
        }
        let status = child
            .wait()
            .await
            .map_err(|source| spawn_error(&self.ffmpeg, source))?;
        let errors = errors.await.unwrap_or_default();
        if status.success() {
            Ok(())
        } else {
            let reason = tail(&errors);
            Err(FfmpegError::Failed(if reason.is_empty() {
                format!("ffmpeg exited with {status}")
            } else {
                reason
            }))
        }
    }
}

fn spawn_error(program: &Path, source: std::io::Error) -> FfmpegError {
    FfmpegError::Spawn {
        program: program.display().to_string(),
        source,
    }
}

/// The `-filter_complex` graph: per input a scaled, padded video and a resampled
/// (or silent) stereo audio, then one concat.
pub fn filter_graph(inputs: &[(PathBuf, Probe)], width: u32, height: u32) -> String {
    let mut graph = String::new();
    let mut joined = String::new();
    for (i, (_, probe)) in inputs.iter().enumerate() {
        graph.push_str(&format!(
            "[{i}:v:0]scale={width}:{height}:force_original_aspect_ratio=decrease,\
             pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p[v{i}];"
        ));
        if probe.has_audio {
            graph.push_str(&format!(
                "[{i}:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo[a{i}];"
            ));
        } else {
            let seconds = probe.duration.unwrap_or(0.0).max(0.04);
            graph.push_str(&format!(
                "anullsrc=r=48000:cl=stereo,atrim=duration={seconds:.3},\
                 aformat=sample_fmts=fltp:channel_layouts=stereo[a{i}];"
            ));
        }
        joined.push_str(&format!("[v{i}][a{i}]"));
    }
    graph.push_str(&format!("{joined}concat=n={}:v=1:a=1[v][a]", inputs.len()));
    graph
}

/// The last lines of a program's error output, at most [`STDERR_TAIL_BYTES`].
fn tail(text: &str) -> String {
    let text = text.trim();
    let mut start = text.len().saturating_sub(STDERR_TAIL_BYTES);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(has_audio: bool, duration: f64) -> Probe {
        Probe {
            duration: Some(duration),
            has_video: true,
            has_audio,
            video_size: Some((640, 480)),
            codecs: vec![],
        }
    }

    #[test]
    fn every_track_is_scaled_and_a_silent_one_gets_silence_of_its_length() {
        let graph = filter_graph(
            &[
                (PathBuf::from("a.webm"), probe(true, 10.0)),
                (PathBuf::from("b.webm"), probe(false, 4.5)),
            ],
            1280,
            720,
        );
        assert!(graph.contains("[0:v:0]scale=1280:720:force_original_aspect_ratio=decrease"));
        assert!(graph.contains("[1:v:0]scale=1280:720"));
        assert!(graph.contains("[0:a:0]aresample=48000"));
        assert!(graph.contains("anullsrc=r=48000:cl=stereo,atrim=duration=4.500"));
        assert!(graph.ends_with("[v0][a0][v1][a1]concat=n=2:v=1:a=1[v][a]"));
    }

    #[test]
    fn a_failure_reason_is_the_end_of_the_error_output() {
        let long = format!("{}\nthe real reason", "noise ".repeat(2000));
        let reason = tail(&long);
        assert!(reason.len() <= STDERR_TAIL_BYTES);
        assert!(reason.ends_with("the real reason"));
    }
}
