const { Encoder } = require('cbor-x/index-no-eval'); console.log(new Encoder({useRecords:false}).encode(1));
