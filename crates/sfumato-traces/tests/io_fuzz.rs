//! No input makes a reader panic: valid samples of each format, mutated at
//! random (bytes replaced, inserted, deleted; lines duplicated, dropped,
//! swapped), must read to profiles or to an error.

use proptest::prelude::*;
use sfumato_traces::io::{
    CerOptions, LongReadOptions, LongReader, MissingPolicy, UciOptions, UciReader, WideReader,
    read_cer,
};
use sfumato_traces::stats::stats_of_reader;

fn samples() -> Vec<Vec<u8>> {
    let mut wide = String::from("household,date,residents,appliance,00:00,06:00,12:00,18:00\n");
    wide.push_str("a,2024-01-01,2,,0.1,0.2,0.3,0.4\na,2024-01-01,2,fridge,0.01,0.02,0.03,0.04\n");
    wide.push_str("\"b,c\",2024-01-02,,total,1,2,3,4\n");
    let mut long = String::from("household,timestamp,kwh,appliance,residents\n");
    for h in 0..24 {
        long.push_str(&format!("a,2024-01-01T{h:02}:00,0.{h},,3\n"));
    }
    long.push_str("b,2024-01-01 00:00:00,1,oven,\nb,2024-01-01T12:00,2,oven,\n");
    let mut uci = String::from(
        "Date;Time;Global_active_power;Global_reactive_power;Voltage;Global_intensity;Sub_metering_1;Sub_metering_2;Sub_metering_3\n",
    );
    for m in (0..1440).step_by(40) {
        uci.push_str(&format!(
            "1/2/2007;{:02}:{:02}:00;{}.5;0.1;240.0;5.0;0.0;0.0;1.0\n",
            m / 60,
            m % 60,
            m % 3
        ));
    }
    uci.push_str("2/2/2007;00:00:00;?;?;?;?;?;?;\n");
    let mut cer = String::from("ID DAY KWH\n");
    for k in 1..=50 {
        cer.push_str(&format!("1000 298{k:02} 0.{k}\n"));
    }
    cer.push_str("999 00101 0.5\n");
    vec![
        wide.into_bytes(),
        long.into_bytes(),
        uci.into_bytes(),
        cer.into_bytes(),
    ]
}

#[derive(Clone, Debug)]
enum Edit {
    Replace(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    DupLine(usize),
    DropLine(usize),
    SwapLines(usize, usize),
}

fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        prop::sample::select(b",;:-/\"\n\r .?0123456789eE+TNa\t\xef\xbb\xbf\xff".to_vec()),
        any::<u8>(),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), interesting_byte()).prop_map(|(i, b)| Edit::Replace(i, b)),
        (any::<usize>(), interesting_byte()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Delete),
        any::<usize>().prop_map(Edit::DupLine),
        any::<usize>().prop_map(Edit::DropLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
    ]
}

fn apply(text: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut t = text.to_vec();
    for e in edits {
        match *e {
            Edit::Replace(i, b) if !t.is_empty() => {
                let n = t.len();
                t[i % n] = b;
            }
            Edit::Insert(i, b) => {
                let n = t.len() + 1;
                t.insert(i % n, b);
            }
            Edit::Delete(i) if !t.is_empty() => {
                let n = t.len();
                t.remove(i % n);
            }
            Edit::DupLine(i) | Edit::DropLine(i) | Edit::SwapLines(i, _) => {
                let mut lines: Vec<Vec<u8>> =
                    t.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                let n = lines.len();
                match *e {
                    Edit::DupLine(_) => {
                        let l = lines[i % n].clone();
                        lines.insert(i % n, l);
                    }
                    Edit::DropLine(_) => {
                        lines.remove(i % n);
                    }
                    Edit::SwapLines(_, j) => lines.swap(i % n, j % n),
                    _ => {}
                }
                t = lines.join(&b'\n');
            }
            _ => {}
        }
    }
    t
}

fn read_all(bytes: &[u8]) {
    let low = MissingPolicy::new(0.01).unwrap();
    if let Ok(r) = WideReader::new(bytes, "f") {
        for p in r {
            if p.is_err() {
                break;
            }
        }
    }
    if let Ok(r) = LongReader::new(
        bytes,
        "f",
        LongReadOptions {
            resolution: None,
            missing: low,
        },
    ) {
        for p in r {
            if p.is_err() {
                break;
            }
        }
    }
    if let Ok(r) = UciReader::new(
        bytes,
        "f",
        UciOptions {
            missing: low,
            ..UciOptions::default()
        },
    ) {
        for p in r {
            if p.is_err() {
                break;
            }
        }
    }
    if let Ok(days) = read_cer(bytes, "f", CerOptions { missing: low }) {
        for p in days {
            assert_eq!(p.values.len(), 24);
        }
    }
    let _ = stats_of_reader(bytes, "f");
}

#[test]
fn samples_are_valid() {
    let s = samples();
    let low = MissingPolicy::new(0.01).unwrap();
    let wide: Vec<_> = WideReader::new(s[0].as_slice(), "w")
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(wide.len(), 3);
    let long: Vec<_> = LongReader::new(
        s[1].as_slice(),
        "l",
        LongReadOptions {
            resolution: None,
            missing: low,
        },
    )
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap();
    assert_eq!(long.len(), 1);
    let uci: Vec<_> = UciReader::new(
        s[2].as_slice(),
        "u",
        UciOptions {
            missing: low,
            ..UciOptions::default()
        },
    )
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap();
    assert_eq!(uci.len(), 1);
    assert_eq!(
        read_cer(s[3].as_slice(), "c", CerOptions::default())
            .unwrap()
            .count(),
        1
    );
    for t in &s {
        read_all(t);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn mutated_samples_never_panic(which in 0usize..4, edits in prop::collection::vec(edit(), 1..6)) {
        let s = &samples()[which];
        read_all(&apply(s, &edits));
    }
}
