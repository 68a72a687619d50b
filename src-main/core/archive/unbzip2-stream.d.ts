// The package ships no types: a factory of classic "through" streams.
declare module 'unbzip2-stream' {
  export default function unbzip2Stream(): NodeJS.ReadWriteStream;
}
