"""SMS text: GSM 03.38, UCS-2, Latin-1 and binary codings, segmentation and reassembly."""
