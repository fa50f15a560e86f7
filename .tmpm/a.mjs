import { Encoder } from 'cbor-x/encode'; console.log(new Encoder({useRecords:false}).encode(1));
