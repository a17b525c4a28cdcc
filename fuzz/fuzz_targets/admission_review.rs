//! AdmissionReview bodies as the webhook receives them: parsed, their images listed, and the
//! validating and mutating answers built from a decision per image.
#![no_main]

use libfuzzer_sys::fuzz_target;
use supply_core::admission::{ImageDecision, Review};

fuzz_target!(|data: &[u8]| {
    let Ok(review) = Review::parse(data) else {
        return;
    };
    let images = review.images();
    let decisions: Vec<ImageDecision> = images
        .iter()
        .enumerate()
        .map(|(i, at)| {
            let mut decision = ImageDecision::allowed(&at.image);
            if i % 2 == 1 {
                decision.allowed = false;
            }
            decision
        })
        .collect();
    let pairs: Vec<_> = images.iter().cloned().zip(decisions.iter()).collect();
    let validated = review.validation_response(&pairs);
    assert_eq!(
        validated["response"]["uid"].as_str(),
        Some(review.uid.as_str())
    );
    let _ = review.mutation_response(&pairs);
});
