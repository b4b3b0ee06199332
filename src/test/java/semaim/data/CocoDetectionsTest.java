package semaim.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** COCO's layout read back, the synthetic set's boxes fit their items, and broken files say what is wrong. */
class CocoDetectionsTest {
    @Test
    void theSyntheticSetReadsBackWithBoxesAroundBrightPixels(@TempDir Path dir) throws Exception {
        SyntheticDetection.write(dir, "val", FashionMnist.embeddedTest(), 12, 112, 0.2, 0.45, 3);
        CocoDetections set = CocoDetections.open(dir, "val");
        assertEquals(12, set.images().size());
        assertEquals(10, set.categories().size());
        int boxes = 0;
        for (CocoDetections.Image im : set.images()) {
            DecodedImage img = set.load(im, 1);
            assertEquals(112, img.width());
            var anns = set.annotations(im.id());
            assertTrue(anns.size() >= 1 && anns.size() <= 5, "1-5 items, got " + anns.size());
            for (var a : anns) {
                boxes++;
                double[] b = a.bbox();
                assertTrue(b[0] >= 0 && b[1] >= 0 && b[0] + b[2] <= 112 && b[1] + b[3] <= 112, java.util.Arrays.toString(b));
                assertTrue(a.area() > 0 && a.area() <= b[2] * b[3], "silhouette area within its box");
                assertTrue(a.categoryId() >= 1 && a.categoryId() <= 10);
            }
        }
        assertTrue(boxes >= 12);
        // the same seed writes the same set
        Path again = dir.resolve("again");
        SyntheticDetection.write(again, "val", FashionMnist.embeddedTest(), 12, 112, 0.2, 0.45, 3);
        assertEquals(Files.readString(dir.resolve("annotations/instances_val.json")),
                Files.readString(again.resolve("annotations/instances_val.json")));
    }

    @Test
    void brokenFilesNameWhatIsWrong(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("annotations"));
        Files.createDirectories(dir.resolve("val2017"));
        DataException none = assertThrows(DataException.class, () -> CocoDetections.open(dir, "train"));
        assertTrue(none.getMessage().contains("no annotations/instances_train*.json"), none.getMessage());
        Path f = dir.resolve("annotations/instances_val2017.json");
        Files.writeString(f, "{\"images\": [{\"id\": 1, \"file_name\": \"a.png\", \"width\": 8, \"height\": 8}],"
                + " \"categories\": [{\"id\": 1, \"name\": \"x\"}], \"annotations\": [{\"id\": 7, \"image_id\": 2,"
                + " \"category_id\": 1, \"bbox\": [0, 0, 2, 2]}]}");
        DataException unknown = assertThrows(DataException.class, () -> CocoDetections.open(dir, "val"));
        assertTrue(unknown.getMessage().contains("annotation 7 refers to image 2"), unknown.getMessage());
        Files.writeString(f, "{\"images\": [{\"id\": 1, \"file_name\": \"a.png\", \"width\": 8, \"height\": 8}],"
                + " \"categories\": [{\"id\": 1}], \"annotations\": [{\"id\": 8, \"image_id\": 1, \"category_id\": 1,"
                + " \"bbox\": [0, 0, 2]}]}");
        DataException box = assertThrows(DataException.class, () -> CocoDetections.open(dir, "val"));
        assertTrue(box.getMessage().contains("annotation 8 has no bbox"), box.getMessage());
        Files.writeString(f, "{\"images\": [{\"id\": 1, \"file_name\": \"a.png\", \"width\": 8, \"height\": 8}],"
                + " \"categories\": [], \"annotations\": []}");
        CocoDetections set = CocoDetections.open(dir, "val");
        DataException missing = assertThrows(DataException.class, () -> set.load(set.images().get(0), 1));
        assertTrue(missing.getMessage().contains("a.png, which is not in"), missing.getMessage());
        Files.writeString(f, "{not json");
        assertThrows(DataException.class, () -> CocoDetections.open(dir, "val"));
    }
}
